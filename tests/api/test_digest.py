"""HTTP Digest (RFC 7616) for API keys: parsing, nonces, responses, replay protection."""

import base64
import hashlib
import os
import random
import struct
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header

from accessportal.api.digest import (
    CLOCK_SKEW_SECONDS,
    DigestCredentials,
    DigestError,
    StaleNonce,
    challenge_header,
    check_nonce,
    check_uri,
    claim_nonce_count,
    expected_response,
    make_nonce,
    parse_authorization,
    verify_response,
)
from accounts.digest import compute_ha1, get_realm

PUBLIC_KEY = "abcdefgh"
PRIVATE_KEY = "3f0c4a5e-8d5b-4c1e-9f6e-2b7a1d0c9e8f"
URL = "https://portal.example.test/api/atlas/v2/orgs?pageNum=2&itemsPerPage=10"
PATH = "/api/atlas/v2/orgs?pageNum=2&itemsPerPage=10"

# RFC 7616 section 3.9.1.
RFC = {
    "username": "Mufasa",
    "realm": "http-auth@example.org",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "uri": "/dir/index.html",
    "qop": "auth",
    "nc": "00000001",
    "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
}
RFC_PASSWORD = "Circle of Life"
RFC_RESPONSES = {
    "MD5": "8ca523f5e9506fed4657c9700eebdbec",
    "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
}
RFC_HEADER = (
    'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
    'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
    'response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
)


def client_header(challenge, *, password=PRIVATE_KEY, method="GET", url=URL, auth=None, algorithm=None):
    """What the requests library sends after receiving ``challenge`` (no network involved)."""
    auth = auth or HTTPDigestAuth(PUBLIC_KEY, password)
    auth.init_per_thread_state()
    chal = parse_dict_header(challenge.removeprefix("Digest "))
    if algorithm:
        chal["algorithm"] = algorithm
    auth._thread_local.chal = chal
    return auth.build_digest_header(method, url)


def header(**overrides):
    """A well-formed Authorization value, from the RFC example, with parameters replaced or (None) dropped."""
    params = {**RFC, "response": RFC_RESPONSES["MD5"], "algorithm": "MD5", **overrides}
    return "Digest " + ", ".join(f'{name}="{value}"' for name, value in params.items() if value is not None)


# --- Responses: the RFC example and a real client --------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_rfc7616_worked_example_gives_the_published_response(algorithm):
    credentials = DigestCredentials(**RFC, response=RFC_RESPONSES[algorithm], algorithm=algorithm)
    ha1 = compute_ha1("Mufasa", "http-auth@example.org", RFC_PASSWORD, algorithm)

    assert expected_response(credentials, method="GET", ha1=ha1) == RFC_RESPONSES[algorithm]
    assert verify_response(credentials, method="GET", ha1=ha1)
    assert not verify_response(credentials, method="POST", ha1=ha1)


def test_rfc7616_example_header_parses_and_verifies():
    credentials = parse_authorization(RFC_HEADER)

    assert credentials == DigestCredentials(**RFC, response=RFC_RESPONSES["MD5"], algorithm="MD5")
    ha1 = compute_ha1("Mufasa", "http-auth@example.org", RFC_PASSWORD, "MD5")
    assert verify_response(credentials, method="GET", ha1=ha1)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "MD5-sess"])
def test_requests_client_authenticates_with_a_challenge_we_issue(algorithm, db):
    challenge = challenge_header(algorithm=algorithm)
    credentials = parse_authorization(client_header(challenge))
    ha1 = compute_ha1(PUBLIC_KEY, get_realm(), PRIVATE_KEY, algorithm)

    assert credentials.algorithm == algorithm
    assert credentials.username == PUBLIC_KEY
    check_nonce(credentials.nonce)
    check_uri(credentials, PATH)
    assert verify_response(credentials, method="GET", ha1=ha1)
    assert claim_nonce_count(credentials)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_requests_client_with_wrong_private_key_is_refused(algorithm):
    challenge = challenge_header(algorithm=algorithm)
    credentials = parse_authorization(client_header(challenge, password="not-the-private-key"))

    assert not verify_response(
        credentials, method="GET", ha1=compute_ha1(PUBLIC_KEY, get_realm(), PRIVATE_KEY, algorithm)
    )


def test_md5_sess_client_verifies_with_the_stored_md5_ha1():
    credentials = parse_authorization(client_header(challenge_header(algorithm="MD5-sess")))

    assert credentials.ha1_algorithm == "MD5"
    assert verify_response(
        credentials, method="GET", ha1=compute_ha1(PUBLIC_KEY, get_realm(), PRIVATE_KEY, "MD5")
    )


def test_sha256_sess_response_follows_rfc7616_session_key():
    """requests speaks no SHA-256-sess: the client side is the RFC 7616 section 3.4.2 formula written out."""
    ha1 = compute_ha1(PUBLIC_KEY, get_realm(), PRIVATE_KEY, "SHA-256")
    nonce, cnonce, nc = make_nonce(), "0a4f113b", "00000001"
    session_ha1 = _sha256(f"{ha1}:{nonce}:{cnonce}")
    response = _sha256(f"{session_ha1}:{nonce}:{nc}:{cnonce}:auth:{_sha256('GET:' + PATH)}")
    credentials = parse_authorization(
        f'Digest username="{PUBLIC_KEY}", realm="{get_realm()}", nonce="{nonce}", uri="{PATH}", '
        f'response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", algorithm=SHA-256-sess'
    )

    assert credentials.ha1_algorithm == "SHA-256"
    assert verify_response(credentials, method="GET", ha1=ha1)


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def test_response_is_bound_to_the_method():
    credentials = parse_authorization(client_header(challenge_header(), method="DELETE"))
    ha1 = compute_ha1(PUBLIC_KEY, get_realm(), PRIVATE_KEY, "MD5")

    assert verify_response(credentials, method="DELETE", ha1=ha1)
    assert not verify_response(credentials, method="GET", ha1=ha1)


def test_ha1_of_another_realm_does_not_verify():
    credentials = parse_authorization(client_header(challenge_header()))

    assert not verify_response(
        credentials, method="GET", ha1=compute_ha1(PUBLIC_KEY, "other-realm", PRIVATE_KEY, "MD5")
    )


# --- Challenge --------------------------------------------------------------------------------------------


def test_challenge_is_a_single_digest_challenge_with_defaults():
    challenge = challenge_header()
    params = parse_dict_header(challenge.removeprefix("Digest "))

    assert challenge.startswith("Digest ") and challenge.count("Digest") == 1
    assert params["realm"] == "accessportal"
    assert params["qop"] == "auth"
    assert params["algorithm"] == "MD5"
    assert "stale" not in params
    check_nonce(params["nonce"])


def test_challenge_uses_configured_realm_and_algorithm(settings):
    settings.DIGEST_REALM = 'Atlas "public" API\\v2'
    settings.DIGEST_CHALLENGE_ALGORITHM = "sha-256"
    params = parse_dict_header(challenge_header().removeprefix("Digest "))

    assert params["realm"] == 'Atlas "public" API\\v2'
    assert params["algorithm"] == "SHA-256"


def test_challenge_opaque_is_fixed_and_nonce_fresh():
    first = parse_dict_header(challenge_header().removeprefix("Digest "))
    second = parse_dict_header(challenge_header().removeprefix("Digest "))

    assert first["opaque"] == second["opaque"]
    assert first["nonce"] != second["nonce"]


def test_stale_challenge_says_stale_true():
    assert parse_dict_header(challenge_header(stale=True).removeprefix("Digest "))["stale"] == "true"


def test_challenge_refuses_an_algorithm_we_cannot_verify():
    with pytest.raises(ValueError):
        challenge_header(algorithm="SHA-512")


# --- Nonces -----------------------------------------------------------------------------------------------

NOW = 1_700_000_000.0


@pytest.mark.parametrize("age", [0, 1, 299, 300])
def test_nonce_is_accepted_within_its_lifetime(age):
    check_nonce(make_nonce(now=NOW), now=NOW + age)


@pytest.mark.parametrize("age", [301, 3600, 10**8])
def test_nonce_older_than_ttl_is_stale(age):
    with pytest.raises(StaleNonce):
        check_nonce(make_nonce(now=NOW), now=NOW + age)


def test_nonce_ttl_setting_is_honoured(settings):
    settings.DIGEST_NONCE_TTL_SECONDS = 10
    nonce = make_nonce(now=NOW)

    check_nonce(nonce, now=NOW + 10)
    with pytest.raises(StaleNonce):
        check_nonce(nonce, now=NOW + 11)


def test_nonce_from_the_future_beyond_clock_skew_is_refused():
    check_nonce(make_nonce(now=NOW + CLOCK_SKEW_SECONDS), now=NOW)
    with pytest.raises(DigestError) as refused:
        check_nonce(make_nonce(now=NOW + CLOCK_SKEW_SECONDS + 1), now=NOW)
    assert not isinstance(refused.value, StaleNonce)


def test_rewriting_a_nonce_issue_time_breaks_its_signature():
    raw = base64.urlsafe_b64decode(make_nonce(now=NOW))
    younger = base64.urlsafe_b64encode(struct.pack(">Q", int(NOW) + 3600) + raw[8:]).decode()

    with pytest.raises(DigestError) as refused:
        check_nonce(younger, now=NOW + 3600)
    assert not isinstance(refused.value, StaleNonce)


def test_tampered_expired_nonce_is_invalid_not_stale():
    raw = bytearray(base64.urlsafe_b64decode(make_nonce(now=NOW)))
    raw[-1] ^= 1

    with pytest.raises(DigestError) as refused:
        check_nonce(base64.urlsafe_b64encode(bytes(raw)).decode(), now=NOW + 10**6)
    assert not isinstance(refused.value, StaleNonce)


@pytest.mark.parametrize(
    "nonce",
    ["", "abc", "=" * 76, "é" * 76, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", None, 12, b"bytes"],
)
def test_malformed_nonce_is_refused(nonce):
    with pytest.raises(DigestError):
        check_nonce(nonce)


def test_nonce_in_a_non_canonical_encoding_is_refused():
    nonce = make_nonce()
    check_nonce(nonce)
    for variant in (
        nonce + "!",
        "\n" + nonce,
        nonce.rstrip("=") + "A" if nonce.endswith("=") else nonce + "A",
    ):
        with pytest.raises(DigestError):
            check_nonce(variant)


def test_nonce_signed_with_another_secret_key_is_refused(settings):
    nonce = make_nonce()
    settings.SECRET_KEY = "a-different-secret-key-after-a-leak"

    with pytest.raises(DigestError):
        check_nonce(nonce)


def test_nonce_signed_with_a_fallback_key_is_accepted_during_rotation(settings):
    nonce = make_nonce()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key"

    check_nonce(nonce)


def _nonce_from_another_process(env_overrides, nonce_to_check):
    """Run a second Django process: it checks ``nonce_to_check`` and prints its verdict and a nonce of its own."""
    code = (
        "import sys, django; django.setup()\n"
        "from accessportal.api.digest import DigestError, check_nonce, make_nonce\n"
        "try:\n    check_nonce(sys.argv[1]); print('accepted')\n"
        "except DigestError:\n    print('refused')\n"
        "print(make_nonce())\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "accessportal.settings", **env_overrides}
    result = subprocess.run(
        [sys.executable, "-c", code, nonce_to_check],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    verdict, nonce = result.stdout.split()
    return verdict, nonce


def test_a_second_process_verifies_a_nonce_issued_by_the_first_and_back():
    verdict, nonce = _nonce_from_another_process({}, make_nonce())

    assert verdict == "accepted"
    check_nonce(nonce)


def test_a_process_with_another_secret_key_neither_issues_nor_accepts_our_nonces():
    other_key = "another-secret-key-in-the-second-process"
    assert other_key != django_settings.SECRET_KEY
    verdict, nonce = _nonce_from_another_process({"SECRET_KEY": other_key}, make_nonce())

    assert verdict == "refused"
    with pytest.raises(DigestError) as refused:
        check_nonce(nonce)
    assert not isinstance(refused.value, StaleNonce)


# --- Replay -----------------------------------------------------------------------------------------------
# Claims go to the cache named by DIGEST_NONCE_CACHE; without Redis that is a database table, hence ``db``.


def _credentials(nonce, nc):
    return DigestCredentials(**{**RFC, "nonce": nonce, "nc": nc}, response=RFC_RESPONSES["MD5"])


def test_same_nonce_and_count_is_accepted_once(db):
    nonce = make_nonce()

    assert claim_nonce_count(_credentials(nonce, "00000001"))
    assert not claim_nonce_count(_credentials(nonce, "00000001"))
    assert claim_nonce_count(_credentials(nonce, "00000002"))
    assert claim_nonce_count(_credentials(make_nonce(), "00000001"))


def test_nonce_count_spelt_in_another_case_is_the_same_count(db):
    nonce = make_nonce()

    assert claim_nonce_count(_credentials(nonce, "0000000a"))
    assert not claim_nonce_count(_credentials(nonce, "0000000A"))


def test_requests_client_increments_nc_under_one_nonce_so_its_requests_are_not_replays(db):
    challenge, auth = challenge_header(), HTTPDigestAuth(PUBLIC_KEY, PRIVATE_KEY)
    first = parse_authorization(client_header(challenge, auth=auth))
    second = parse_authorization(client_header(challenge, auth=auth))

    assert (first.nc, second.nc) == ("00000001", "00000002")
    assert claim_nonce_count(first)
    assert claim_nonce_count(second)
    assert not claim_nonce_count(parse_authorization(client_header(challenge, auth=HTTPDigestAuth("x", "y"))))


def test_claims_outlive_a_busy_nonce_lifetime_in_the_configured_cache(db):
    """More requests within one nonce lifetime than a cache's default MAX_ENTRIES (300) must not reopen replays:
    the cache named by DIGEST_NONCE_CACHE must not cull live claims (Django's database and local-memory caches
    do past MAX_ENTRIES; set OPTIONS MAX_ENTRIES well above the peak, and give Redis a no-eviction policy)."""
    early = [_credentials(make_nonce(), "00000001") for _ in range(50)]
    assert all(claim_nonce_count(credentials) for credentials in early)
    for _ in range(400):
        claim_nonce_count(_credentials(make_nonce(), "00000001"))

    assert not any(claim_nonce_count(credentials) for credentials in early)


def test_claims_go_to_the_configured_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "digest": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "digest-nonces"},
    }
    settings.DIGEST_NONCE_CACHE = "digest"
    nonce = make_nonce()

    assert claim_nonce_count(_credentials(nonce, "00000001"))
    caches["digest"].clear()
    assert claim_nonce_count(_credentials(nonce, "00000001"))


# --- Parsing ----------------------------------------------------------------------------------------------


def test_quoted_strings_keep_escaped_quotes_backslashes_and_commas():
    credentials = parse_authorization(header(username='a\\"b,c\\\\d', uri="/dir/a,b?x=1,2"))

    assert credentials.username == 'a"b,c\\d'
    assert credentials.uri == "/dir/a,b?x=1,2"


def test_parameter_names_and_scheme_are_case_insensitive_and_tokens_need_no_quotes():
    text = (
        'dIgEsT USERNAME="Mufasa", Realm="http-auth@example.org", URI="/dir/index.html", ALGORITHM=md5, '
        'Nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", NC=00000001, '
        'CNonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", QOP=auth, '
        'Response="8CA523F5E9506FED4657C9700EEBDBEC", Opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )

    assert parse_authorization(text) == parse_authorization(RFC_HEADER)


def test_spaces_around_equals_and_commas_and_empty_list_elements_are_allowed():
    text = (
        RFC_HEADER.replace("=", " \t= ", 1).replace(", ", " ,  ,, ").replace("Digest ", "Digest  ,") + " , "
    )

    assert parse_authorization(text) == parse_authorization(RFC_HEADER)


def test_unknown_parameters_are_ignored_and_algorithm_defaults_to_md5():
    credentials = parse_authorization(header(algorithm=None, charset="UTF-8", userhash="false"))

    assert credentials.algorithm == "MD5"
    assert credentials.opaque == RFC["opaque"]


@pytest.mark.parametrize(
    ("given", "normalised"), [("md5", "MD5"), ("sha-256", "SHA-256"), ("Md5-SeSS", "MD5-sess")]
)
def test_algorithm_names_are_normalised(given, normalised):
    response = RFC_RESPONSES["SHA-256" if "sha" in given else "MD5"]

    assert parse_authorization(header(algorithm=given, response=response)).algorithm == normalised


def test_utf8_parameters_are_decoded_from_the_latin1_header_string():
    raw = header(username="Mufasa\u00e9").encode("utf-8").decode("latin-1")  # as WSGI hands it over

    assert parse_authorization(raw).username == "Mufasa\u00e9"


@pytest.mark.parametrize("missing", ["username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce"])
def test_missing_required_parameter_is_refused(missing):
    with pytest.raises(DigestError, match=missing):
        parse_authorization(header(**{missing: None}))


@pytest.mark.parametrize("empty", ["username", "nonce", "uri", "cnonce"])
def test_empty_required_parameter_is_refused(empty):
    with pytest.raises(DigestError):
        parse_authorization(header(**{empty: ""}))


def test_qop_auth_int_is_refused_by_name():
    with pytest.raises(DigestError, match="auth-int"):
        parse_authorization(header(qop="auth-int"))


@pytest.mark.parametrize("qop", ["auth,auth-int", "token", "AUTHX"])
def test_other_qop_is_refused(qop):
    with pytest.raises(DigestError):
        parse_authorization(header(qop=qop))


@pytest.mark.parametrize("nc", ["1", "0000001", "000000001", "0000000g", "+0000001", " 00000001", "0x000001"])
def test_nc_must_be_eight_hex_digits(nc):
    with pytest.raises(DigestError, match="nc"):
        parse_authorization(header(nc=nc))


def test_userhash_is_refused_with_a_clear_reason():
    with pytest.raises(DigestError, match="userhash") as refused:
        parse_authorization(header(userhash="true"))
    assert "public key" in refused.value.reason


def test_encoded_username_star_is_refused():
    with pytest.raises(DigestError, match=r"username\*"):
        parse_authorization(header(username=None) + ", username*=UTF-8''Mufasa")


@pytest.mark.parametrize("algorithm", ["SHA-512", "SHA", "SHA-512-256", "MD5-", ""])
def test_unsupported_algorithm_is_refused(algorithm):
    with pytest.raises(DigestError):
        parse_authorization(header(algorithm=algorithm))


@pytest.mark.parametrize("response", ["abc", RFC_RESPONSES["SHA-256"], "z" * 32, RFC_RESPONSES["MD5"] + "\n"])
def test_response_of_the_wrong_shape_is_refused(response):
    with pytest.raises(DigestError):
        parse_authorization(header(response=response))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Digest",
        "Digest ",
        "Basic YWJjOmRlZg==",
        "Digest YWJjOmRlZg==",
        'Digestusername="Mufasa"',
        RFC_HEADER.replace('username="Mufasa"', 'username="Mufasa'),
        RFC_HEADER.replace('username="Mufasa"', 'username="Mu"fasa"'),
        RFC_HEADER.replace('username="Mufasa"', "username=Mu fasa"),
        RFC_HEADER.replace('username="Mufasa"', 'username="Mu\\'),
        RFC_HEADER.replace('username="Mufasa"', 'username="Mu\x00fasa"'),
        RFC_HEADER.replace('username="Mufasa"', 'username="Mu\nfasa"'),
        RFC_HEADER.replace('username="Mufasa"', 'username="Mu\u0100fasa"'),
        RFC_HEADER.replace('username="Mufasa"', 'username="Mu\udc80fasa"'),
        RFC_HEADER.replace('username="Mufasa"', 'username="\xff\xfe"'),
        RFC_HEADER.replace('username="Mufasa"', 'username "Mufasa"'),
        RFC_HEADER.replace('username="Mufasa"', '="Mufasa"'),
        RFC_HEADER + ', username="Scar"',
        RFC_HEADER + " trailing",
        RFC_HEADER + ", " + "x" * 5000,
        None,
        b"Digest username=x",
    ],
)
def test_malformed_headers_are_refused_with_digest_error(text):
    with pytest.raises(DigestError):
        parse_authorization(text)


def test_fuzzed_headers_only_ever_raise_digest_error(db):
    rng = random.Random(7616)
    pieces = [
        "Digest ",
        "digest",
        "=",
        '"',
        "\\",
        ",",
        " ",
        "\t",
        "username",
        "nc",
        "qop",
        "auth",
        "auth-int",
        "algorithm",
        "MD5",
        "SHA-256",
        "-sess",
        "00000001",
        "uri",
        "/",
        "?",
        "%",
        "é",
        "\x00",
        "\x7f",
        "\udc80",
        "\u2603",
        "userhash",
        "true",
        "*",
        "'",
        "response",
        "8ca523f5e9506fed4657c9700eebdbec",
    ]
    samples = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    samples += ["".join(chr(rng.randint(0, 0x2FF)) for _ in range(rng.randint(0, 200))) for _ in range(1000)]
    for _ in range(3000):  # mutations of a valid header: delete, duplicate or replace a few characters
        text = list(RFC_HEADER)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(text))
            text[i : i + rng.randint(0, 3)] = rng.choice(['"', "\\", ",", "=", " ", "", "x", text[i]])
        samples.append("".join(text))
    for text in samples:
        try:
            credentials = parse_authorization(text)
        except DigestError:
            continue
        # Whatever parses must be usable by the rest of the module without another kind of error.
        expected_response(credentials, method="GET", ha1="0" * 64)
        claim_nonce_count(credentials)
        try:
            check_nonce(credentials.nonce)
            check_uri(credentials, "/dir/index.html")
        except DigestError:
            pass


# --- Request URI ------------------------------------------------------------------------------------------


def _with_uri(uri):
    return DigestCredentials(**{**RFC, "uri": uri}, response=RFC_RESPONSES["MD5"])


@pytest.mark.parametrize(
    ("uri", "request_path"),
    [
        ("/dir/index.html", "/dir/index.html"),
        (PATH, PATH),
        ("https://portal.example.test" + PATH, PATH),
        ("http://portal.example.test", "/"),
        ("/dir/index.html?", "/dir/index.html"),
        ("/%7Euser/caf%C3%A9", "/~user/caf%C3%A9"),
    ],
)
def test_uri_matching_the_request_is_accepted(uri, request_path):
    check_uri(_with_uri(uri), request_path)


@pytest.mark.parametrize(
    ("uri", "request_path"),
    [
        ("/dir/index.html", "/dir/other.html"),
        ("/api/atlas/v2/orgs?pageNum=1", "/api/atlas/v2/orgs?pageNum=2"),
        ("/api/atlas/v2/orgs", "/api/atlas/v2/orgs?pageNum=2"),
        ("https://portal.example.test/a", "/b"),
        ("http://[::1/dir", "/dir"),
        ("*", "/"),
    ],
)
def test_uri_not_matching_the_request_is_refused(uri, request_path):
    with pytest.raises(DigestError):
        check_uri(_with_uri(uri), request_path)


def test_requests_client_signs_the_path_and_query_it_requests():
    credentials = parse_authorization(client_header(challenge_header()))

    check_uri(credentials, PATH)
    with pytest.raises(DigestError):
        check_uri(credentials, "/api/atlas/v2/orgs/5f0000000000000000000000")
