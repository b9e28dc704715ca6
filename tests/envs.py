"""Deliberately broken VecEnvs for the command-line bad-input tests (`--task tests.envs:Name`)."""
import torch
from st_rl.env.vec_env import PointMassEnv


class NanObsEnv(PointMassEnv):
    """Returns NaN in env 1's observation from the 5th step on."""
    def step(self, actions):
        obs, rew, dones, extras = super().step(actions)
        if self.episode_length_buf.max() >= 5:
            obs = obs.clone(); obs[1, 0] = float("nan")
        return obs, rew, dones, extras


class WrongActionShapeEnv(PointMassEnv):
    """Declares 2 actions but its simulator only accepts 3."""
    def step(self, actions):
        if actions.shape[-1] != 3:
            raise ValueError(f"expected 3 actuator commands, got {actions.shape[-1]}")
        return super().step(actions[:, :2])


class WrongObsShapeEnv(PointMassEnv):
    """Declares 6 observations but returns 5."""
    def get_observations(self):
        obs, extras = super().get_observations()
        return obs[:, :5], extras


class NanRewardEnv(PointMassEnv):
    """Returns an Inf reward for env 0 from the 3rd step on."""
    def step(self, actions):
        obs, rew, dones, extras = super().step(actions)
        if self.episode_length_buf.max() >= 3:
            rew = rew.clone(); rew[0] = float("inf")
        return obs, rew, dones, extras


class SegmentedGoalEnv(PointMassEnv):
    """Point mass whose actor sees the goal only as a 6x6 map (component `goal_map`); the critic also has `goal`.
    Gives every module-zoo policy named components to work on: vectors, an image, and a privileged component."""
    def __init__(self, **kw):
        super().__init__(privileged=False, **kw)
        self.obs_segments = {"pos": (2,), "vel": (2,), "goal_map": (1, 6, 6)}
        self.privileged_obs_segments = {**self.obs_segments, "goal": (2,)}
        self.num_obs, self.num_privileged_obs = 40, 42

    def _obs(self):
        c = torch.linspace(-2, 2, 6, device=self.device)
        gy, gx = torch.meshgrid(c, c, indexing="ij")
        d2 = (gx - self.goal[:, :1, None]) ** 2 + (gy - self.goal[:, 1:, None]) ** 2      # (N, 6, 6)
        img = torch.exp(-d2 / 0.5).flatten(1)
        obs = torch.cat([self.pos, self.vel, img], dim=-1)
        return obs, {"critic": torch.cat([obs, self.goal], dim=-1)}


def unstable_cheetah_in_worker(num_envs: int = 2, seed: int = 0, device: str = "cpu"):
    """HalfCheetah-v5 with one env worker process, whose env (the last) goes unstable: a physics time step of 1 s has
    MuJoCo warn ("Nan, Inf or huge value ...") from within the worker, every few steps."""
    import gymnasium as gym
    from st_rl.env.gym_adapter import GymVecEnv
    made = []

    def make():
        e = gym.make("HalfCheetah-v5", disable_env_checker=True)
        if len(made) == num_envs - 1: e.unwrapped.model.opt.timestep = 1.0
        made.append(e)
        return e
    return GymVecEnv(make, num_envs=num_envs, seed=seed, device=device, num_workers=1)
