from exportctl.suggest import closest


def test_a_typo_gets_the_closest_choice() -> None:
    assert closest("stauts", ["status", "source_id", "amount"]) == "status"


def test_a_difference_of_case_alone_wins_over_closer_spellings() -> None:
    assert closest("CODE", ["code", "CODES"]) == "code"


def test_nothing_close_gives_none() -> None:
    assert closest("zzzz", ["status", "amount"]) is None


def test_empty_value_or_choices_give_none() -> None:
    assert closest("", ["status"]) is None
    assert closest("status", []) is None


def test_choices_may_be_any_iterable_and_may_repeat() -> None:
    assert closest("$aftr", (op for op in ("$after", "$after", "$before"))) == "$after"


def test_an_abbreviation_of_one_choice_suggests_it() -> None:
    from exportctl.suggest import closest

    assert closest("prod", ["default", "production", "staging"]) == "production"
    assert closest("pro", ["production", "profile-b"]) is None  # two choices begin so: neither is suggested
    assert closest("pr", ["production"]) is None  # too short to be meant
