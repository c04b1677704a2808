"""The SQS event source mapping, locally: poll each queue a function consumes
and invoke it with genuine SQS events, deleting what it did not report failed."""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from chiave_local.emulator.runtime import Invoker

BATCH_SIZE = 10
IDLE_POLL_S = 0.5
UPLOAD_POLL_S = 2.0
logger = logging.getLogger(__name__)


class QueuePoller(threading.Thread):
    def __init__(self, functions: Invoker, function_id: str, queue_id: str) -> None:
        super().__init__(name=f"poll-{queue_id}", daemon=True)
        self.functions = functions
        self.function_id = function_id
        deployment = functions.deployment
        self.queue_url = deployment.refs[queue_id]
        self.queue_arn = deployment.attributes[(queue_id, "Arn")]
        self.region = deployment.region
        self.sqs = deployment.client("sqs")
        self.stopped = threading.Event()
        # Receipt handles of the messages the function reported failed, last first.
        self.failed: list[str] = []

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                # No long polling: moto's spins while invisible messages wait in the queue.
                if not self.poll_once(wait_seconds=0):
                    self.stopped.wait(IDLE_POLL_S)
            except Exception:  # keep polling, as the real event source would
                logger.exception("local queue poller failed")
                self.stopped.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=BATCH_SIZE,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(message) for message in messages]}
        try:
            result: dict[str, Any] = self.functions.invoke(self.function_id, event) or {}
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        except Exception:  # the invocation failed: the whole batch comes back later
            logger.exception("local %s invocation failed", self.function_id)
            failed = {message["MessageId"] for message in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        self.failed = [m["ReceiptHandle"] for m in messages if m["MessageId"] in failed] + self.failed
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


class ScheduledRunner(threading.Thread):
    """EventBridge's schedule, locally: the function invoked at its rate
    with a scheduled event (the first run one period after start)."""

    def __init__(self, functions: Invoker, function_id: str, every_s: int) -> None:
        super().__init__(name=f"schedule-{function_id}", daemon=True)
        self.functions = functions
        self.function_id = function_id
        self.every_s = every_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every_s):
            event = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
            try:
                self.functions.invoke(self.function_id, event)
            except Exception:  # the next run redoes it, as on AWS
                logger.exception("local scheduled %s failed", self.function_id)


class UploadNotifier(threading.Thread):
    """S3's ObjectCreated notification, locally (moto's own S3 -> Lambda path
    needs a container runtime): each new object under the prefix, with the
    suffix, is handed to the function in an S3 event, once."""

    def __init__(
        self, functions: Invoker, function_id: str, bucket_id: str, prefix: str, suffix: str
    ) -> None:
        super().__init__(name=f"uploads-{function_id}", daemon=True)
        self.functions = functions
        self.function_id = function_id
        self.bucket = functions.deployment.refs[bucket_id]
        self.prefix, self.suffix = prefix, suffix
        self.s3 = functions.deployment.client("s3")
        self.seen: set[tuple[str, str]] = set()
        self.stopped = threading.Event()

    def run(self) -> None:
        # Uploads are rare: a listing every 2 s keeps the local stack idle meanwhile.
        while not self.stopped.wait(UPLOAD_POLL_S):
            try:
                self.notify_once()
            except Exception:  # keep watching, as S3 would keep notifying
                logger.exception("local upload notifier failed")

    def notify_once(self) -> int:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        fresh = [
            item
            for page in pages
            for item in page.get("Contents", [])
            if item["Key"].endswith(self.suffix) and (item["Key"], item["ETag"]) not in self.seen
        ]
        for item in fresh:
            self.seen.add((item["Key"], item["ETag"]))
            record = {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": self.bucket}, "object": {"key": item["Key"], "size": item["Size"]}},
            }
            self.functions.invoke(self.function_id, {"Records": [record]})
        return len(fresh)


Runner = QueuePoller | ScheduledRunner | UploadNotifier


def pollers(functions: Invoker) -> list[Runner]:
    """As many pollers per queue as the event source's maximum concurrency,
    and a runner per schedule."""
    runners: list[Runner] = [
        QueuePoller(functions, spec.logical_id, queue_id)
        for spec in functions.specs.values()
        for queue_id in spec.queue_sources
        for _ in range(spec.queue_concurrency)
    ]
    runners += [
        ScheduledRunner(functions, spec.logical_id, spec.every_s)
        for spec in functions.specs.values()
        if spec.every_s
    ]
    runners += [
        UploadNotifier(functions, spec.logical_id, bucket, prefix, suffix)
        for spec in functions.specs.values()
        for bucket, prefix, suffix in spec.uploads
    ]
    return runners
