"""The local stack's changes to moto (chiave_local/emulator/moto_shim.py): the
rollback of a cancelled transaction restores exactly the items it touched;
KMS signs a digest (MessageType=DIGEST) and opens RSA-OAEP ciphertext made
with a key's public half, as KMS does."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _key(pk):
    return {"PK": {"S": pk}, "SK": {"S": "X"}}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(stack):
    # Given an item to update, another to delete, and a table of bystanders
    dynamodb = stack.deployment.client("dynamodb")
    table = stack.deployment.refs["Table"]
    for pk, value in (("A", "1"), ("D", "4"), ("BYSTANDER", "9")):
        dynamodb.put_item(TableName=table, Item={**_key(pk), "value": {"S": value}})
    before = dynamodb.scan(TableName=table)["Items"]
    # When a transaction updates A, puts B, deletes D, then fails its check on C
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key("A"),
                        "UpdateExpression": "SET #v = :v",
                        "ExpressionAttributeNames": {"#v": "value"},
                        "ExpressionAttributeValues": {":v": {"S": "changed"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {**_key("B"), "value": {"S": "2"}}}},
                {"Delete": {"TableName": table, "Key": _key("D")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key("C"),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )
    # Then it is cancelled and every item is as it was
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    after = dynamodb.scan(TableName=table)["Items"]
    assert sorted(map(str, after)) == sorted(map(str, before))


def test_a_transaction_that_succeeds_is_applied(stack):
    dynamodb = stack.deployment.client("dynamodb")
    table = stack.deployment.refs["Table"]
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {**_key("B"), "value": {"S": "2"}}}}]
    )
    assert dynamodb.get_item(TableName=table, Key=_key("B"))["Item"]["value"] == {"S": "2"}


# ---- KMS: what the SPID/CIE federation needs of it ---------------------------------------

_SIGNING = [
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
]


def _verifies(public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> bool:
    """Checked by cryptography, as a relying party would: over the whole message."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    public = serialization.load_der_public_key(public_der)
    try:
        if algorithm.startswith("ECDSA"):
            public.verify(signature, message, ec.ECDSA(hashes.SHA256()))  # type: ignore[call-arg]
        elif algorithm.startswith("RSASSA_PSS"):
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            public.verify(signature, message, pss, hashes.SHA256())  # type: ignore[call-arg]
        else:
            public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[call-arg]
    except InvalidSignature:
        return False
    return True


@pytest.mark.parametrize(("spec", "algorithm"), _SIGNING)
def test_a_digest_signed_by_kms_verifies_over_a_message_longer_than_kms_signs_raw(stack, spec, algorithm):
    import hashlib

    kms = stack.deployment.client("kms")
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = kms.get_public_key(KeyId=key)["PublicKey"]
    # Given an Entity Configuration larger than the 4,096 bytes KMS signs raw
    message = b"x" * 10_000
    # When its SHA-256 is signed as a digest
    signature = kms.sign(
        KeyId=key, Message=hashlib.sha256(message).digest(), MessageType="DIGEST", SigningAlgorithm=algorithm
    )["Signature"]
    # Then the signature verifies over the whole message, and over nothing else
    assert _verifies(public, algorithm, message, signature)
    assert not _verifies(public, algorithm, message + b"!", signature)
    # And a raw message is still signed as before
    raw = kms.sign(KeyId=key, Message=b"breve", MessageType="RAW", SigningAlgorithm=algorithm)["Signature"]
    assert _verifies(public, algorithm, b"breve", raw)


def test_kms_opens_rsa_oaep_ciphertext_made_with_the_public_key(stack):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    kms = stack.deployment.client("kms")
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    # Given a content key a provider sealed with the key's public half (a JWE's RSA-OAEP-256)
    sealed = public.encrypt(b"chiave-di-contenuto-32-byte-----", oaep)  # type: ignore[union-attr]
    # Then KMS opens it with the private half it keeps
    opened = kms.decrypt(KeyId=key, CiphertextBlob=sealed, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert opened["Plaintext"] == b"chiave-di-contenuto-32-byte-----"
    # And a ciphertext altered on the way is refused
    with pytest.raises(ClientError) as refused:
        kms.decrypt(KeyId=key, CiphertextBlob=sealed[:-1] + b"\0", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert refused.value.response["Error"]["Code"] == "InvalidCiphertextException"
    # And a symmetric key's own envelope still opens as before
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=symmetric, Plaintext=b"segreto")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"segreto"
