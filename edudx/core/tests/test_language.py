def test_pages_are_vietnamese_even_for_an_english_browser(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response["Content-Language"] == "vi"


def test_an_explicit_choice_of_english_is_honoured(client, db):
    client.cookies["django_language"] = "en"
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "en"
