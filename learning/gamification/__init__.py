"""Gamification reads for the SPA's Achievements page (`/api/gamification/…`): every achievement with the learner's
progress towards it, derived from the same rule table that grants achievements (`learning.services`)."""
