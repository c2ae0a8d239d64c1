def test_health_answers_ok_whatever_the_host_header(client, db):
    response = client.get("/health", HTTP_HOST="lb-probe.internal")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_other_paths_still_check_allowed_hosts(client, db):
    assert client.get("/admin/login/", HTTP_HOST="evil.example").status_code == 400
