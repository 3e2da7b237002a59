#!/usr/bin/env python3
"""Checks of the deployment files that no general-purpose linter knows about.

Usage: check_deploy.py RENDERED_DIR

RENDERED_DIR holds one YAML file per Kubernetes overlay, as `kubectl kustomize` renders
it (kafka.yaml for k8s/kafka), plus any stand-alone manifests. Checks:

- every resource against the Kubernetes OpenAPI schemas (kubernetes-validate, strict:
  unknown fields fail), for the oldest and the newest Kubernetes version we support;
  KafkaTopic against a schema of its own below; other custom resources are named as
  skipped;
- the KafkaTopic resources against the code: one for every topic learnlog creates, with
  the partition count it creates them with (LEARNLOG_PARTITIONS of the overlay for the
  partitioned ones), compaction on exactly the view topics and learner-keys;
- the partition count in the Prometheus alert on unowned partitions;
- the image's user (deploy/Containerfile) against every pod's runAsUser;
- the Grafana dashboard: every panel on the datasource variable.

Exits 1 after printing every problem found.
"""

import json
import re
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent

# Validated against both: the oldest Kubernetes with every API version the manifests
# use in its current form, and the newest kubernetes-validate ships schemas for.
K8S_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]

# Custom resources whose operators' schemas are not bundled with kubernetes-validate.
# KafkaTopic carries everything learnlog depends on, so it gets a schema of its own
# (the fields of Strimzi's KafkaTopic spec, written out here).
KAFKA_TOPIC_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "kafka.strimzi.io/v1"},
        "kind": {"const": "KafkaTopic"},
        "metadata": {
            "type": "object",
            "required": ["name", "labels"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
                "labels": {
                    "type": "object",
                    "required": ["strimzi.io/cluster"],
                    "additionalProperties": {"type": "string"},
                },
            },
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["partitions", "replicas"],
            "properties": {
                "topicName": {"type": "string", "pattern": r"^[a-zA-Z0-9._-]{1,249}$"},
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                "config": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
                },
            },
        },
    },
}
SKIPPED_KINDS = {
    "Kafka": "Strimzi's schema is not bundled with kubernetes-validate",
    "KafkaNodePool": "Strimzi's schema is not bundled with kubernetes-validate",
    "ServiceMonitor": "the Prometheus Operator's schema is not bundled with kubernetes-validate",
}

problems: list[str] = []


def problem(text: str) -> None:
    problems.append(text)
    print(f"FAIL {text}")


def load_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def name_of(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def validate_schemas(files: dict[str, list[dict]]) -> None:
    for file, docs in files.items():
        for doc in docs:
            kind = doc.get("kind")
            where = f"{file}: {name_of(doc)}"
            if kind == "KafkaTopic":
                errors = list(jsonschema.Draft202012Validator(KAFKA_TOPIC_SCHEMA).iter_errors(doc))
                for error in errors:
                    problem(f"{where}: {error.json_path}: {error.message}")
                if not errors:
                    print(f"ok   {where} (the KafkaTopic schema of scripts/check_deploy.py)")
                continue
            if kind in SKIPPED_KINDS:
                print(f"skip {where}: {SKIPPED_KINDS[kind]}")
                continue
            before = len(problems)
            for version in K8S_VERSIONS:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as error:
                    problem(f"{where} on Kubernetes {version}: {error.message} at {list(error.path)}")
                except kubernetes_validate.SchemaNotFoundError:
                    problem(f"{where}: no schema for {doc.get('apiVersion')} on Kubernetes {version}")
            if len(problems) == before:
                print(f"ok   {where} (Kubernetes {', '.join(K8S_VERSIONS)})")


def code_topics() -> tuple[dict[str, str], set[str]]:
    """The topics the code creates: {name: "P" or a fixed count}, and the compacted ones
    (the view topics and learner-keys)."""
    lib = (ROOT / "proto/src/lib.rs").read_text()
    module = re.search(r"pub mod topics \{(.*?)\n\}", lib, re.S)
    if not module:
        raise SystemExit("proto/src/lib.rs: no `pub mod topics` found")
    constants = dict(re.findall(r'pub const (\w+): &str = "([^"]+)";', module.group(1)))
    counts: dict[str, str] = {}
    compacted: set[str] = set()
    for source in ("node.rs", "key_topic.rs"):
        text = (ROOT / "services/learnlog/src" / source).read_text()
        pattern = r"ensure_(compacted_)?topic\(topics::(\w+),\s*([\w.]+)\)"
        for compaction, constant, count in re.findall(pattern, text):
            counts[constants[constant]] = count if count.isdigit() else "P"
            if compaction:
                compacted.add(constants[constant])
    unmade = set(constants.values()) - set(counts)
    if unmade:
        problem(f"services/learnlog/src/{{node,key_topic}}.rs create no topic {sorted(unmade)}")
    records = (ROOT / "services/api/src/view_topics/records.rs").read_text()
    views = set(re.findall(r'"(learnlog\.view\.[a-z_-]+)"', records))
    if not views:
        problem("services/api/src/view_topics/records.rs names no learnlog.view.* topic")
    # View topics have as many partitions as learner-events (view_topics/mod.rs).
    for view in views:
        counts[view] = "P"
    return counts, views | compacted


def check_topics(files: dict[str, list[dict]]) -> None:
    docs = files.get("kafka.yaml", [])
    if not docs:
        problem("no rendered k8s/kafka overlay (kafka.yaml)")
        return
    config = next((d for d in docs if d["kind"] == "ConfigMap"
                   and d["metadata"]["name"].startswith("learnlog-env")), None)
    if not config or "LEARNLOG_PARTITIONS" not in config.get("data", {}):
        problem("k8s/kafka: no LEARNLOG_PARTITIONS in the learnlog-env ConfigMap")
        return
    partitions = int(config["data"]["LEARNLOG_PARTITIONS"])
    before = len(problems)
    clusters = {d["metadata"]["name"] for d in docs if d["kind"] == "Kafka"}
    declared = {}
    for doc in docs:
        if doc["kind"] != "KafkaTopic":
            continue
        topic = doc["spec"].get("topicName", doc["metadata"]["name"])
        if topic in declared:
            problem(f"k8s/kafka: topic {topic} declared twice")
        declared[topic] = doc
        cluster = doc["metadata"].get("labels", {}).get("strimzi.io/cluster")
        if cluster not in clusters:
            problem(f"k8s/kafka: KafkaTopic {topic} names cluster {cluster}, not one of {sorted(clusters)}")
    expected, views = code_topics()
    for topic in sorted(set(expected) - set(declared)):
        problem(f"k8s/kafka: no KafkaTopic for {topic}, which learnlog creates")
    for topic in sorted(set(declared) - set(expected)):
        problem(f"k8s/kafka: KafkaTopic {topic} is not a topic learnlog uses")
    for topic in sorted(set(expected) & set(declared)):
        spec = declared[topic]["spec"]
        want = partitions if expected[topic] == "P" else int(expected[topic])
        if spec.get("partitions") != want:
            problem(f"k8s/kafka: {topic} has {spec.get('partitions')} partitions; learnlog "
                    f"creates it with {want} (LEARNLOG_PARTITIONS={partitions})")
        compacted = str(spec.get("config", {}).get("cleanup.policy", "delete")) == "compact"
        if compacted != (topic in views):
            problem(f"k8s/kafka: {topic} is {'' if compacted else 'not '}compacted; "
                    f"only the view topics may be, and they must be")
    if len(problems) == before:
        print(f"ok   k8s/kafka: {len(declared)} KafkaTopics match the code "
              f"(LEARNLOG_PARTITIONS={partitions})")
    alerts = (ROOT / "deploy/prometheus/learnlog-alerts.yaml").read_text()
    unowned = re.search(r"sum\(learnlog_owned_partitions\) < (\d+)", alerts)
    if not unowned or int(unowned.group(1)) != partitions:
        problem("deploy/prometheus/learnlog-alerts.yaml: LearnlogPartitionsUnowned does not "
                f"compare with LEARNLOG_PARTITIONS={partitions}")


def check_image_user(files: dict[str, list[dict]]) -> None:
    containerfile = (ROOT / "deploy/Containerfile").read_text()
    stages = re.split(r"(?m)^FROM\s", containerfile)
    users = re.findall(r"(?m)^USER\s+(\S+)", stages[-1])
    if not users:
        problem("deploy/Containerfile: the runtime stage sets no USER")
        return
    uid = users[-1].split(":")[0]
    if not uid.isdigit() or int(uid) == 0:
        problem(f"deploy/Containerfile: USER {users[-1]} is not a numeric non-root UID "
                "(runAsNonRoot can only verify a numeric one)")
        return
    for file, docs in files.items():
        for doc in docs:
            pod = doc.get("spec", {}).get("template", {}).get("spec")
            if doc.get("kind") not in {"Deployment", "StatefulSet"} or not pod:
                continue
            run_as = pod.get("securityContext", {}).get("runAsUser")
            if str(run_as) != uid:
                problem(f"{file}: {name_of(doc)} runs as {run_as}, the image's user is {uid}")
    print(f"ok   every workload runs as the image's user {uid}")


def check_dashboard() -> None:
    path = ROOT / "deploy/grafana/learnlog.json"
    dashboard = json.loads(path.read_text())
    variables = {v["name"] for v in dashboard.get("templating", {}).get("list", [])
                 if v.get("type") == "datasource"}
    if not variables:
        problem(f"{path.relative_to(ROOT)}: no datasource variable")
    panels = [p for p in dashboard.get("panels", []) if p.get("type") != "row"]
    for panel in panels:
        uid = str(panel.get("datasource", {}).get("uid", ""))
        if uid.strip("${}") not in variables:
            problem(f"{path.relative_to(ROOT)}: panel {panel.get('title')!r} uses datasource "
                    f"{uid!r}, not a variable")
        if not panel.get("targets"):
            problem(f"{path.relative_to(ROOT)}: panel {panel.get('title')!r} queries nothing")
    print(f"ok   {path.relative_to(ROOT)}: {len(panels)} panels, datasource variable "
          f"{', '.join(sorted(variables))}")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    rendered = Path(sys.argv[1])
    files = {path.name: load_documents(path) for path in sorted(rendered.glob("*.yaml"))}
    validate_schemas(files)
    check_topics(files)
    check_image_user(files)
    check_dashboard()
    if problems:
        raise SystemExit(f"{len(problems)} problem(s) in the deployment files")


if __name__ == "__main__":
    main()
