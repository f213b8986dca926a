"""The account typeahead: a few matches, never the whole table."""

from tests.conftest import stored
from tests.factories import make_account


def test_lookup_finds_accounts_by_any_word_without_accents(app, rep_client, rep):
    stored(app, make_account, actor=rep, name="Société Générale", billing_city="Paris")
    stored(app, make_account, actor=rep, name="Get Cloudy West")
    body = rep_client.get("/accounts/lookup?q=societe&field=account_id").get_data(as_text=True)
    assert "Société Générale" in body and "Get Cloudy" not in body
    assert 'type="radio" name="account_id"' in body


def test_lookup_is_capped_and_escapes_the_field_name(app, rep_client, rep):
    for n in range(15):
        stored(app, make_account, actor=rep, name=f"Acme {n:02d}")
    body = rep_client.get('/accounts/lookup?q=acme&field="><script>').get_data(as_text=True)
    assert body.count('type="radio"') == 10 and "Only the first 10 matches" in body
    assert "<script>" not in body and 'name="account_id"' in body


def test_empty_or_unmatched_lookup(rep_client):
    assert 'type="radio"' not in rep_client.get("/accounts/lookup?q=").get_data(as_text=True)
    assert "No account matches" in rep_client.get("/accounts/lookup?q=zzzz").get_data(as_text=True)
