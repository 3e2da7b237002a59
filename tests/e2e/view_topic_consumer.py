"""Reads one of learnlog's compacted view topics from the beginning with confluent-kafka
(librdkafka's Python client) and prints what a consumer keeping the latest value per key
ends up with: a JSON object from each key to its value, keys whose latest record is a
tombstone left out.

Usage: view_topic_consumer.py BOOTSTRAP_SERVERS TOPIC
"""

import json
import sys
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition


def main(servers: str, topic: str) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"learnlog-e2e-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    metadata = consumer.list_topics(topic, timeout=30)
    partitions = sorted(metadata.topics[topic].partitions)
    # read each partition up to its end as of now
    ends = {}
    for partition in partitions:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
        if high > 0:
            ends[partition] = high
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
    latest = {}
    deadline = time.monotonic() + 60
    while ends and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is None:
            continue
        if message.error():
            raise RuntimeError(message.error())
        key = message.key().decode()
        if message.value() is None:
            latest.pop(key, None)
        else:
            latest[key] = json.loads(message.value())
        if message.offset() + 1 >= ends.get(message.partition(), 0):
            ends.pop(message.partition(), None)
    consumer.close()
    if ends:
        raise RuntimeError(f"partitions {sorted(ends)} were not read to their end")
    json.dump(latest, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
