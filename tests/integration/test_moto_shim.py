"""The local stack's one change to moto (chiave_local/emulator/moto_shim.py): the
rollback of a cancelled transaction restores exactly the items it touched."""

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
