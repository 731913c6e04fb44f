"""Spaced review: every question a learner has met becomes an FSRS card (`ReviewItem`) that comes due when its
recall probability falls to the desired retention. `scheduler` holds the pure FSRS maths and the rating rule,
`services` the writes, `selectors` the reads."""
