from returns_desk.core.money import format_money, percent_of


def test_format_money_uses_minor_units_and_symbols():
    assert format_money(12345, "USD") == "$123.45"
    assert format_money(-500, "GBP") == "-£5.00"
    assert format_money(100000000, "EUR") == "€1,000,000.00"
    assert format_money(99, "SEK") == "0.99 SEK"


def test_percent_of_rounds_half_up_in_integers():
    assert percent_of(1000, 10) == 100
    assert percent_of(995, 10) == 100  # 99.5 -> 100
    assert percent_of(333, 33.33) == 111
    assert percent_of(0, 50) == 0
