"""A synthetic implicit-feedback data set for the recommender benchmark (no download): users with one to three
favourite topics, items in topics with Zipf-like popularity, typed interactions (view/like/save/complete/rate) with
timestamps. Default size: 10,000 users × 5,000 items × 500,000 interactions.
"""

from dataclasses import dataclass

import numpy as np

TYPES = np.array(["view", "like", "save", "complete", "rate"])
TYPE_P = np.array([0.45, 0.2, 0.1, 0.15, 0.1])


@dataclass
class Synthetic:
    users: np.ndarray
    items: np.ndarray
    types: np.ndarray
    ratings: np.ndarray  # 0 where not a rating
    times: np.ndarray
    item_text: list[str]
    n_users: int
    n_items: int


def generate(
    n_users: int = 10_000, n_items: int = 5_000, n_interactions: int = 500_000, n_topics: int = 50, seed: int = 7
) -> Synthetic:
    rng = np.random.default_rng(seed)
    item_topic = rng.integers(n_topics, size=n_items)
    item_pop = 1.0 / np.arange(1, n_items + 1) ** 0.8
    rng.shuffle(item_pop)
    by_topic = [np.flatnonzero(item_topic == t) for t in range(n_topics)]
    topic_p = [item_pop[ids] / item_pop[ids].sum() for ids in by_topic]
    global_p = item_pop / item_pop.sum()
    user_topics = [rng.choice(n_topics, size=rng.integers(1, 4), replace=False) for _ in range(n_users)]
    activity = rng.pareto(1.5, size=n_users) + 1
    counts = np.maximum(3, np.round(activity / activity.sum() * n_interactions)).astype(int)
    users, items = [], []
    for u in range(n_users):
        k = counts[u]
        on_topic = rng.random(k) < 0.8
        topics = rng.choice(user_topics[u], size=k)
        chosen = np.empty(k, dtype=np.int64)
        for t in np.unique(topics[on_topic]):
            sel = on_topic & (topics == t)
            chosen[sel] = rng.choice(by_topic[t], size=int(sel.sum()), p=topic_p[t])
        chosen[~on_topic] = rng.choice(n_items, size=int((~on_topic).sum()), p=global_p)
        users.append(np.full(k, u))
        items.append(chosen)
    users_a, items_a = np.concatenate(users), np.concatenate(items)
    types = rng.choice(TYPES, size=len(users_a), p=TYPE_P)
    # On-topic items are rated 3–5, off-topic ones 1–3.
    liked = np.array([item_topic[i] in user_topics[u] for u, i in zip(users_a, items_a, strict=True)])
    high, low = rng.integers(3, 6, len(types)), rng.integers(1, 4, len(types))
    ratings = np.where(types == "rate", np.where(liked, high, low), 0)
    times = rng.random(len(users_a)) * 365 * 86400
    words = [f"topic{t} subject{t} area{t % 10}" for t in range(n_topics)]
    item_text = [f"{words[item_topic[i]]} item{i % 97}" for i in range(n_items)]
    return Synthetic(users_a, items_a, types, ratings, times, item_text, n_users, n_items)
