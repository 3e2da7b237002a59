#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/seeds/<target>/.

The seeds are the shapes learnlog's clients and the xAPI conformance suites send:
every statement property, actor and object kind, both xAPI versions, attachments
declared by fileUrl and sent as multipart parts, a statement signed with RS256 and an
x5c certificate, the query parameters of each resource, and event envelopes of every
kind the API appends. libFuzzer mutates from these. Needs `cryptography` (PyPI) for
the signed statement; run it again after changing a shape.
"""

import base64
import datetime
import hashlib
import json
import pathlib
import urllib.parse

SEEDS = pathlib.Path(__file__).resolve().parent / "seeds"

ACTOR = {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.org"}
VERB = {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}}
ACTIVITY = {
    "objectType": "Activity",
    "id": "https://example.org/activities/fractions",
    "definition": {
        "name": {"en-US": "Fractions", "fr": "Fractions"},
        "description": {"en-US": "Place fractions on a line"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": "choice",
        "correctResponsesPattern": ["b"],
        "choices": [{"id": "a", "description": {"en-US": "1/2"}},
                    {"id": "b", "description": {"en-US": "3/4"}}],
        "extensions": {"https://example.org/xapi/extensions/skills": ["3.NF.A.2"]},
    },
}


def statement(**extra):
    base = {"actor": ACTOR, "verb": VERB, "object": ACTIVITY}
    base.update(extra)
    return base


def statements():
    group = {"objectType": "Group", "name": "Team", "member": [
        {"account": {"homePage": "https://lms.example.org", "name": "42"}},
        {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}]}
    return {
        "single": statement(id="6690e6c9-3ef0-4ed3-8b37-7f3964730bee"),
        "full": statement(
            id="7f4a4f62-6a37-4f6b-b3c2-0f1e3c2b1a01",
            timestamp="2026-11-02T10:00:00.123+01:00",
            result={"score": {"scaled": 0.875, "raw": 7, "min": 0, "max": 8},
                    "success": True, "completion": True, "response": "b",
                    "duration": "PT1M30.5S", "extensions": {"https://example.org/x": {"a": [1, 2]}}},
            context={"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                     "instructor": {"openid": "https://id.example.org/t"},
                     "team": group, "platform": "Moodle", "language": "en-US",
                     "statement": {"objectType": "StatementRef",
                                   "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
                     "contextActivities": {"parent": [{"id": "https://example.org/unit"}],
                                           "grouping": [{"id": "https://example.org/course"}],
                                           "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]}},
        ),
        "xapi2-context-agents": statement(
            version="2.0.0",
            context={"contextAgents": [{"objectType": "contextAgent", "agent": ACTOR,
                                        "relevantTypes": ["https://example.org/types/coach"]}],
                     "contextGroups": [{"objectType": "contextGroup", "group": group}]},
        ),
        "group-actor": {"actor": group, "verb": VERB, "object": ACTIVITY},
        "agent-object": statement(object={"objectType": "Agent", "mbox": "mailto:bo@example.org"}),
        "substatement": statement(object={
            "objectType": "SubStatement", "actor": ACTOR, "verb": VERB,
            "object": {"id": "https://example.org/activities/b"}}),
        "voiding": {"actor": ACTOR, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                    "object": {"objectType": "StatementRef",
                               "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}},
        "file-url-attachment": statement(attachments=[{
            "usageType": "http://id.tincanapi.com/attachment/supporting_media",
            "display": {"en-US": "Video"}, "contentType": "video/mp4", "length": 1000,
            "sha2": "a" * 64, "fileUrl": "https://example.org/video.mp4"}]),
        "batch": [statement(id="11111111-1111-4111-8111-111111111111"),
                  statement(id="22222222-2222-4222-8222-222222222222", verb={"id": "http://adlnet.gov/expapi/verbs/completed"})],
        "invalid-duplicate-ids": [statement(id="11111111-1111-4111-8111-111111111111"),
                                  statement(id="11111111-1111-4111-8111-111111111111")],
    }


def multipart(statement_json, parts, boundary="learnlog-boundary"):
    body = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), statement_json]
    for content_type, data in parts:
        sha2 = hashlib.sha256(data).hexdigest()
        body.append(f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\n"
                    f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n".encode())
        body.append(data)
    body.append(f"\r\n--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}\n".encode() + b"".join(body)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def signed_statement():
    """A statement, its RS256 JWS with an x5c self-signed certificate, as multipart."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "learnlog fuzz seed")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(1)
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
                   .sign(key, hashes.SHA256()))
    der = certificate.public_bytes(serialization.Encoding.DER)
    body = statement(id="33333333-3333-4333-8333-333333333333")
    header = {"alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    signing_input = b64url(json.dumps(header).encode()) + b"." + b64url(json.dumps(body).encode())
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    jws = signing_input + b"." + b64url(signature)
    body["attachments"] = [{
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "Signature"}, "contentType": "application/octet-stream",
        "length": len(jws), "sha2": hashlib.sha256(jws).hexdigest()}]
    return jws, body


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, value):
    """A protobuf field: varint for ints and bools, length-delimited for the rest."""
    if isinstance(value, bool) or isinstance(value, int):
        return varint(number << 3) + varint(int(value))
    if isinstance(value, str):
        value = value.encode()
    return varint(number << 3 | 2) + varint(len(value)) + value


def envelope(event_number, event, tenant="default", key="k"):
    return (field(1, "0b7c8a52-1d0e-4f6a-8f4b-2a9c3e5d7f01") + field(2, tenant) + field(3, key)
            + field(4, 1_764_000_000_000_000) + field(event_number, event))


def events():
    statement_json = json.dumps(statement(id="6690e6c9-3ef0-4ed3-8b37-7f3964730bee")).encode()
    attachment = field(1, "a" * 64) + field(2, "text/plain") + field(3, b"hello")
    return {
        "statement-submitted": envelope(10, field(1, "6690e6c9-3ef0-4ed3-8b37-7f3964730bee")
                                        + field(2, statement_json) + field(3, 1_764_000_000_000_000)
                                        + field(4, "2.0.0") + field(5, attachment)),
        "statement-voided": envelope(11, field(1, "6690e6c9-3ef0-4ed3-8b37-7f3964730bee")
                                     + field(2, "7f4a4f62-6a37-4f6b-b3c2-0f1e3c2b1a01")),
        "credential-issued": envelope(12, field(1, "lms") + field(2, b"salt" * 4) + field(3, b"h" * 32)
                                      + field(4, "statements/write") + field(5, "LMS")),
        "credential-revoked": envelope(13, field(1, "lms")),
        "document-written": envelope(20, field(1, 1) + field(2, "https://example.org/a")
                                     + field(3, '{"mbox":"mailto:ada@example.org"}') + field(5, "bookmark")),
        "goal-set": envelope(41, field(1, "9d4c2b1a-0000-4000-8000-000000000001") + field(2, "Master fractions")),
        "class-set": envelope(50, field(1, "5a") + field(2, "Year 5") + field(4, "mailto:ada@example.org")),
        "tenant-set": envelope(70, field(1, "North District") + field(2, True), tenant="north", key="north"),
        "statement-outcome": field(1, 3) + field(2, "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"),
    }


def query_strings():
    agent = urllib.parse.quote(json.dumps({"mbox": "mailto:ada@example.org"}))
    account = urllib.parse.quote(json.dumps({"account": {"homePage": "https://lms.example.org", "name": "42"}}))
    return {
        "by-id": "statementId=6690e6c9-3ef0-4ed3-8b37-7f3964730bee&format=exact&attachments=true",
        "filters": f"agent={agent}&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fanswered"
                   "&activity=https%3A%2F%2Fexample.org%2Factivities%2Ffractions&related_activities=true"
                   "&related_agents=true&registration=ec531277-b57b-4c15-8d91-d292c5b2b8f7"
                   "&since=2026-01-01T00:00:00Z&until=2026-12-31T23:59:59.999%2B01:00&limit=10&ascending=true",
        "state": f"activityId=https%3A%2F%2Fexample.org%2Fa&agent={account}&stateId=bookmark&since=2026-01-01T00:00:00Z",
        "canonical": "format=canonical&language=en-US,fr;q=0.5,*;q=0.1",
    }


def write(target, name, data):
    directory = SEEDS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def main():
    for name, value in statements().items():
        write("statements", f"{name}.json", json.dumps(value, indent=1))
    jws, signed = signed_statement()
    write("signatures", "rs256-x5c.jws", jws)
    write("signatures", "none-alg.jws", b64url(b'{"alg":"none"}') + b"." + b64url(b"{}") + b".")
    write("multipart", "signed.txt", multipart(json.dumps(signed).encode(), [("application/octet-stream", jws)]))
    text = statement(attachments=[{
        "usageType": "http://id.tincanapi.com/attachment/supporting_media", "display": {"en-US": "Notes"},
        "contentType": "text/plain", "length": 5, "sha2": hashlib.sha256(b"notes").hexdigest()}])
    write("multipart", "text-attachment.txt", multipart(json.dumps([text]).encode(), [("text/plain", b"notes")]))
    for name, value in events().items():
        write("events", f"{name}.bin", value)
    for name, value in query_strings().items():
        write("query_parameters", f"{name}.txt", value)


if __name__ == "__main__":
    main()
