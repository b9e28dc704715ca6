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
