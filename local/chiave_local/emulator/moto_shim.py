"""The local stack's dealings with the emulation's insides: the rollback
snapshot of TransactWriteItems, loading a large anagrafica straight into the
table, and two costs that only an emulation pays again and again.

moto keeps a deep copy of the whole table, once per item of the transaction,
in case the transaction is cancelled. With a real school's anagrafica (tens
of thousands of people) every register copies the table several times:
seconds per request, gigabytes of memory. Here the snapshot holds only the
items the transaction touches; a cancelled transaction puts them back as
they were (tests/integration/test_moto_shim.py). Transactions and
single-item writes are also run one at a time, as moto's threaded server
would otherwise let two of them interleave: DynamoDB applies each
conditional write atomically, and attempt limits rely on it.

Every simulated container makes its own boto3 session, and botocore parses
each service's JSON model again for every session: a fifth of a test's time.
The parsed models are the same for all and only read, so one process keeps
one copy. And moto makes a 2048-bit RSA key for every KMS key, symmetric
ones included, where nothing signs: one serves them all. Asymmetric keys
(the sign-in's, the federation's) come from a pool of eight per spec, in
turn: keys made one after another differ (a rotation needs two), and no
test's deployment waits for four new RSA keys.

Two things KMS does that moto does not (the SPID/CIE federation needs
both): `Sign` with `MessageType=DIGEST` (an Entity Configuration can
outgrow the 4,096 bytes KMS signs raw, so its SHA-256 is signed instead;
moto would hash the digest again), and `Decrypt` with RSAES_OAEP of what
someone else encrypted with the key's public half (a provider's encrypted
userinfo; moto decrypts only its own envelope format). Both are done here
with the key's own private half, as KMS would (tests/integration/test_moto_shim.py).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import threading
import types
from collections.abc import Iterable
from typing import Any

from botocore import loaders
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.kms import exceptions as kms_exceptions
from moto.kms import models as kms_models
from moto.kms import responses as kms_responses

_original_transact = dynamodb_models.DynamoDBBackend.transact_write_items
# One lock for every write: a transaction and a conditional write never interleave.
_one_at_a_time = threading.RLock()


def _copy_all_but_tables(value: Any, memo: Any = None) -> Any:
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Table, Any, Any]]:
    """(table, hash key, range key) of every item the transaction names."""
    touched = []
    for entry in transact_items:
        for operation in entry.values():
            table = backend.tables.get(operation.get("TableName"))
            attributes = operation.get("Item") or operation.get("Key") or {}
            if table is None or table.hash_key_attr not in attributes:
                continue
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in attributes:
                    continue
                range_key = DynamoType(attributes[table.range_key_attr])
            touched.append((table, DynamoType(attributes[table.hash_key_attr]), range_key))
    return touched


def _put_back(table: Table, hash_key: Any, range_key: Any, item: Any) -> None:
    table.delete_item(hash_key, range_key)
    if item is None:
        return
    if range_key is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    with _one_at_a_time:
        snapshot = [
            (table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key)))
            for table, hash_key, range_key in _touched(self, transact_items)
        ]
        try:
            _original_transact(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(snapshot):
                _put_back(table, hash_key, range_key, item)
            raise


_parse_model = loaders.Loader.load_data_with_path
_parsed: dict[tuple[tuple[str, ...], str], Any] = {}
_rsa_key_of_spec = getattr(kms_models, "generate_private_key")  # noqa: B009 - not re-exported


_shared_rsa_key = functools.cache(_rsa_key_of_spec)


# Asymmetric keys, made once per process and handed out in turn: a deployment's
# keys (signing, federation, relying party, their next ones) differ from one
# another, and every test's deployment no longer waits for fresh 2048-bit keys.
_ASYMMETRIC_POOL = 8
_asymmetric: dict[str, list[Any]] = {}
_handed_out: dict[str, int] = {}
_pool_lock = threading.Lock()


def _private_key_of(key_spec: str) -> Any:
    if not key_spec.startswith(("RSA_", "ECC_")):
        return _shared_rsa_key(key_spec)
    with _pool_lock:
        pool = _asymmetric.setdefault(key_spec, [])
        turn = _handed_out.get(key_spec, 0)
        _handed_out[key_spec] = turn + 1
        if len(pool) < _ASYMMETRIC_POOL:
            pool.append(_rsa_key_of_spec(key_spec))
        return pool[turn % _ASYMMETRIC_POOL]


def _load_data_with_path(self: loaders.Loader, name: str) -> Any:
    """botocore's parsed JSON (service models, rulesets), once per process."""
    key = (tuple(self.search_paths), name)
    if key not in _parsed:
        _parsed[key] = _parse_model(self, name)
    return _parsed[key]


def _one_at_a_time_write(write: Any) -> Any:
    if getattr(write, "isolated", False):
        return write

    @functools.wraps(write)
    def isolated(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _one_at_a_time:
            return write(self, *args, **kwargs)

    isolated.isolated = True  # type: ignore[attr-defined]
    return isolated


_original_sign = kms_responses.KmsResponse.sign
_original_decrypt = kms_responses.KmsResponse.decrypt


def _sign(self: Any) -> str:
    """Sign, where MessageType=DIGEST signs the given digest as already hashed."""
    if self._get_param("MessageType") != "DIGEST":
        return str(_original_sign(self))
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

    key = self.kms_backend.describe_key(self._get_param("KeyId"))
    algorithm = self._get_param("SigningAlgorithm")
    digest_hash = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[algorithm[-3:]]
    prehashed = utils.Prehashed(digest_hash)
    private = key.private_key.private_key  # moto's wrapper, then cryptography's key
    digest = self._get_param("Message")
    if algorithm.startswith("ECDSA"):
        signature = private.sign(digest, ec.ECDSA(prehashed))
    elif algorithm.startswith("RSASSA_PSS"):
        pss = padding.PSS(mgf=padding.MGF1(digest_hash), salt_length=digest_hash.digest_size)
        signature = private.sign(digest, pss, prehashed)
    else:
        signature = private.sign(digest, padding.PKCS1v15(), prehashed)
    return json.dumps(
        {"KeyId": key.arn, "Signature": base64.b64encode(signature).decode(), "SigningAlgorithm": algorithm}
    )


def _decrypt(self: Any) -> str:
    """Decrypt, where an RSAES_OAEP algorithm opens what the key's public half sealed."""
    algorithm = self._get_param("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
    if not algorithm.startswith("RSAES_OAEP"):
        return str(_original_decrypt(self))
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = self.kms_backend.describe_key(self._get_param("KeyId"))
    oaep_hash = hashes.SHA256() if algorithm.endswith("SHA_256") else hashes.SHA1()  # noqa: S303 - KMS offers it
    try:
        plaintext = key.private_key.private_key.decrypt(
            self._get_param("CiphertextBlob"),
            padding.OAEP(mgf=padding.MGF1(oaep_hash), algorithm=oaep_hash, label=None),
        )
    except ValueError:
        raise kms_exceptions.InvalidCiphertextException() from None
    return json.dumps(
        {
            "Plaintext": base64.b64encode(plaintext).decode(),
            "KeyId": key.arn,
            "EncryptionAlgorithm": algorithm,
        }
    )


def install() -> None:
    """Idempotent: the local stack and the integration tests both call it."""
    backend = dynamodb_models.DynamoDBBackend
    for name in ("put_item", "update_item", "delete_item"):
        setattr(backend, name, _one_at_a_time_write(getattr(backend, name)))
    loaders.Loader.load_data_with_path = _load_data_with_path  # type: ignore[method-assign]
    setattr(kms_models, "generate_private_key", _private_key_of)  # noqa: B010
    # The module's `copy` is what its transaction snapshots tables with.
    setattr(dynamodb_models, "copy", types.SimpleNamespace(deepcopy=_copy_all_but_tables))  # noqa: B010
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    kms_responses.KmsResponse.sign = _sign  # type: ignore[method-assign]
    kms_responses.KmsResponse.decrypt = _decrypt  # type: ignore[method-assign]


def load_items(table_name: str, region: str, account_id: str, items: Iterable[dict[str, Any]]) -> int:
    """Put items (DynamoDB JSON) straight into the in-process moto table: a
    20,000-person anagrafica loads in a second or two, where BatchWriteItem
    over HTTP takes a quarter of a minute. Only the seed uses it; every
    function talks to moto over the wire."""
    backend = dynamodb_models.dynamodb_backends[account_id][region]
    count = 0
    for item in items:
        backend.put_item(table_name, item)
        count += 1
    return count
