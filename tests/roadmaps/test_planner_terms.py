"""Key terms as learners type them: typos, verb forms, subjects we do not teach, and words about the learner."""

import pytest

from roadmaps.planner import Budget, UnknownConcept, plan_roadmap

BUDGET = Budget(weeks=6, hours_per_week=5)


def test_a_misspelt_key_term_is_read_as_the_graph_word_and_said_so():
    plan = plan_roadmap("terrafrom modules", BUDGET)
    assert plan.metadata["coverage"] == "full" and plan.metadata["unknown_terms"] == []
    assert "Terraform State, Modules and Workflows" in plan.metadata["goal_topics"]
    assert "Read 'terrafrom' as 'terraform'." in plan.metadata["assumptions"]
    plan = plan_roadmap("kubernetes deploymnets", BUDGET)
    assert "Kubernetes Deployments, Rollouts and Probes" in plan.metadata["goal_topics"]


def test_a_misspelt_word_beside_a_known_one_reaches_the_topic_tagged_with_both():
    plan = plan_roadmap("speed up postgresql perfromance", BUDGET)
    assert plan.metadata["unknown_terms"] == []
    assert "Query Plans and Optimisation" in plan.metadata["goal_topics"]


def test_a_verb_form_of_an_alias_reaches_its_topic():
    plan = plan_roadmap("fine tuned transformer models", BUDGET)
    assert "Fine-Tuning Language Models" in plan.metadata["goal_topics"]
    assert "tuned" not in plan.metadata["unknown_terms"]


def test_an_untaught_kind_of_a_known_word_is_refused_not_substituted():
    # "jazz theory" is not Probability Theory, "graphic design" not System Design
    for concept, term in (("learn jazz theory", "jazz"), ("graphic design", "graphic")):
        with pytest.raises(UnknownConcept) as caught:
            plan_roadmap(concept, BUDGET)
        assert caught.value.unknown_terms == [term]
        assert not [s for s in caught.value.suggestions if "Probability" in s or "System Design" in s]


def test_suggestions_are_not_keyed_on_words_about_the_learner():
    with pytest.raises(UnknownConcept) as caught:
        plan_roadmap("woodworking for an absolute beginner", BUDGET)
    assert caught.value.unknown_terms == ["woodworking"]
    assert not [s for s in caught.value.suggestions if "CSS" in s or "Excel" in s]


def test_a_topic_sharing_one_of_two_key_words_by_chance_is_no_substitute():
    # "interior" is also a word of Rust's interior mutability: sharing it, far in meaning, is not the subject.
    with pytest.raises(UnknownConcept):
        plan_roadmap("interior design for my living room", BUDGET)
    # …while a topic naming every key term still wins ("redis caching" is Redis).
    assert "Redis" in plan_roadmap("redis caching", BUDGET).metadata["goal_topics"]
