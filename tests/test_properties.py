"""Property tests (hypothesis) of the pure pieces: GAE and trajectory padding."""
import torch
from hypothesis import given, settings, strategies as st

from st_rl.storage.rollout_storage import compute_gae, split_and_pad_trajectories, unpad_trajectories


def gae_reference(r, v, d, last_v, gamma, lam):
    T, N = r.shape
    adv = torch.zeros(T, N, dtype=torch.float64)
    for n in range(N):
        gae = 0.0
        for t in reversed(range(T)):
            next_v = last_v[n] if t == T - 1 else v[t + 1, n]
            nd = 1.0 - float(d[t, n])
            delta = r[t, n] + gamma * next_v * nd - v[t, n]
            gae = delta + gamma * lam * nd * gae
            adv[t, n] = gae
    return adv


@settings(max_examples=40, deadline=None)
@given(T=st.integers(1, 12), N=st.integers(1, 5), seed=st.integers(0, 10_000),
       gamma=st.floats(0.5, 1.0), lam=st.floats(0.0, 1.0), p_done=st.floats(0.0, 0.6))
def test_gae_matches_scalar_reference(T, N, seed, gamma, lam, p_done):
    g = torch.Generator().manual_seed(seed)
    r, v = torch.randn(T, N, generator=g, dtype=torch.float64), torch.randn(T, N, generator=g, dtype=torch.float64)
    d = torch.rand(T, N, generator=g) < p_done
    last_v = torch.randn(N, generator=g, dtype=torch.float64)
    adv, ret = compute_gae(r, v, d, last_v, gamma, lam)
    ref = gae_reference(r, v, d, last_v, gamma, lam)
    torch.testing.assert_close(adv, ref)
    torch.testing.assert_close(ret, ref + v)


@settings(max_examples=40, deadline=None)
@given(T=st.integers(1, 10), N=st.integers(1, 6), D=st.integers(1, 3), seed=st.integers(0, 10_000), p_done=st.floats(0.0, 0.8))
def test_pad_unpad_roundtrip(T, N, D, seed, p_done):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, N, D, generator=g)
    d = torch.rand(T, N, generator=g) < p_done
    padded, masks = split_and_pad_trajectories(x, d)
    assert masks.sum().item() == T * N                          # every step lands in exactly one trajectory
    assert padded.shape[1] == int(d[:-1].sum()) + N             # one trajectory per env plus one per inner done
    torch.testing.assert_close(unpad_trajectories(padded, masks), x)
    assert (padded[~masks] == 0).all()                          # padding is zeros


# --- minibatch generators -------------------------------------------------------------------------------

from st_rl.storage.rollout_storage import RolloutStorage, Transition, ActorCriticHiddenState


def _filled_storage(T, N, seed, p_done=0.2, hidden=False):
    g = torch.Generator().manual_seed(seed)
    s = RolloutStorage(N, T, (3,), None, (2,))
    for t in range(T):
        tr = Transition()
        tr.observations = torch.randn(N, 3, generator=g)
        tr.actions = torch.arange(N, dtype=torch.float32).view(N, 1).repeat(1, 2) * 1000 + t   # unique id per sample
        tr.rewards, tr.values = torch.randn(N, generator=g), torch.randn(N, generator=g)
        tr.dones = torch.rand(N, generator=g) < p_done
        tr.actions_log_prob = torch.randn(N, generator=g)
        tr.action_mean, tr.action_sigma = torch.zeros(N, 2), torch.ones(N, 2)
        if hidden: tr.hidden_states = ActorCriticHiddenState(torch.randn(1, N, 4, generator=g), torch.randn(1, N, 4, generator=g))
        s.add_transitions(tr)
    s.compute_returns(torch.zeros(N), 0.99, 0.95)
    return s


@settings(max_examples=30, deadline=None)
@given(T=st.integers(1, 9), N=st.integers(1, 6), mb=st.integers(1, 4), epochs=st.integers(1, 3), seed=st.integers(0, 1000))
def test_flat_generator_visits_every_sample_once_per_epoch(T, N, mb, epochs, seed):
    if (T * N) % mb: return
    s = _filled_storage(T, N, seed)
    batches = list(s.mini_batch_generator(mb, epochs))
    assert len(batches) == mb * epochs
    ids = sorted(s.actions[..., 0].flatten().tolist())
    for e in range(epochs):
        seen = torch.cat([b.actions[:, 0] for b in batches[e * mb:(e + 1) * mb]]).tolist()
        assert sorted(seen) == ids
        for b in batches[e * mb:(e + 1) * mb]:       # fields stay aligned row by row
            idx = b.actions[:, 0].long()
            env, t = idx // 1000, idx % 1000
            torch.testing.assert_close(b.obs, s.observations[t, env])
            torch.testing.assert_close(b.advantages, s.advantages[t, env])


@settings(max_examples=30, deadline=None)
@given(T=st.integers(2, 9), N=st.integers(1, 6), mb=st.integers(1, 3), seed=st.integers(0, 1000), p_done=st.floats(0, 0.6))
def test_recurrent_generator_masks_cover_each_env_step_once(T, N, mb, seed, p_done):
    if N % mb: return
    s = _filled_storage(T, N, seed, p_done, hidden=True)
    total = 0
    for i, b in enumerate(s.reccurent_mini_batch_generator(mb, 1)):
        n_env = N // mb
        assert b.actions.shape[:2] == (T, n_env)
        assert b.masks.shape[0] == T and b.masks.sum().item() == T * n_env      # every (t, env) exactly once
        assert b.hidden_states.actor.shape == (1, b.masks.shape[1], 4)        # one start state per trajectory
        assert bool(b.masks[0].all())                                          # every trajectory has its first step
        total += b.masks.sum().item()
    assert total == T * N


# --- normalisers ----------------------------------------------------------------------------------------

from st_rl.algorithms.cpu_accel import NumpyNormalizer
from st_rl.modules.actor_critic import EmpiricalNormalization


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 300), chunks=st.integers(1, 6), seed=st.integers(0, 1000), scale=st.floats(0.01, 100),
       numpy=st.booleans())
def test_normalizer_chunked_updates_equal_full_batch_statistics(n, chunks, seed, scale, numpy):
    "The normaliser's own forward and the accelerator's numpy stand-in (`NumpyNormalizer`) alike."
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g, dtype=torch.float64).float() * scale + 3.0
    norm = EmpiricalNormalization(4, eps=0.0)
    forward = NumpyNormalizer.of(norm) if numpy else norm
    for c in x.tensor_split(chunks): forward(c)
    torch.testing.assert_close(norm.mean, x.mean(0), rtol=1e-4, atol=1e-4 * scale)
    torch.testing.assert_close(norm.std, x.std(0, unbiased=False), rtol=1e-3, atol=1e-4 * scale)
    assert norm.count.item() == n


# --- config parsing --------------------------------------------------------------------------------------

from st_rl.runners.on_policy_runner import RunnerCfg
from st_rl.utils.config import from_dict, to_dict, apply_overrides
from st_rl.utils.core import ConfigError

_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


@settings(max_examples=50, deadline=None)
@given(key=_keys, section=st.sampled_from(["", "algorithm.", "policy.", "env."]))
def test_unknown_keys_are_always_rejected_by_name(key, section):
    import pytest
    valid = {"": RunnerCfg, "algorithm.": type(RunnerCfg().algorithm), "policy.": type(RunnerCfg().policy), "env.": type(RunnerCfg().env)}[section]
    import dataclasses
    if key in {f.name for f in dataclasses.fields(valid)}: return
    with pytest.raises(ConfigError, match=f"unknown config key '{section}{key}'"):
        from_dict(RunnerCfg, apply_overrides({}, [f"{section}{key}=1"]))


@settings(max_examples=30, deadline=None)
@given(steps=st.integers(1, 512), lr=st.floats(1e-6, 1e-1), dims=st.lists(st.integers(1, 512), min_size=1, max_size=4),
       act=st.sampled_from(["elu", "tanh", "relu"]), sched=st.sampled_from(["fixed", "adaptive", "linear"]))
def test_config_round_trips_through_dicts_and_overrides(steps, lr, dims, act, sched):
    cfg = from_dict(RunnerCfg, apply_overrides({}, [f"num_steps_per_env={steps}", f"algorithm.learning_rate={lr!r}",
                                                   f"policy.actor_hidden_dims={dims}", f"policy.activation={act}",
                                                   f"algorithm.schedule={sched}"]))
    assert (cfg.num_steps_per_env, cfg.policy.actor_hidden_dims, cfg.policy.activation, cfg.algorithm.schedule) == (steps, dims, act, sched)
    assert abs(cfg.algorithm.learning_rate - lr) <= 1e-12 * max(1, lr)
    assert from_dict(RunnerCfg, to_dict(cfg)) == cfg
