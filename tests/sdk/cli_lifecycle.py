#!/usr/bin/env python3
"""The emulator as the AWS CLI sees it (`aws cloudtrail ...`, pinned in
requirements.txt): create, read, list page by page, update and delete
channels and stores; service errors come out as `An error occurred (CODE)`.
Usage: cli_lifecycle.py AWS ENDPOINT (AWS: the `aws` program to run)."""

import json
import os
import subprocess
import sys

from common import ACCESS_KEY, REGION, SECRET_KEY, fail, shape_problems, MODEL

AUDIT = '[{"FieldSelectors":[{"Field":"eventCategory","Equals":["ActivityAuditLog"]}]}]'
calls = 0


def aws(program, endpoint, *args):
    """(exit code, parsed stdout or None, stderr) of one `aws cloudtrail` call."""
    global calls
    calls += 1
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    env.pop("AWS_PROFILE", None)
    done = subprocess.run([program, "cloudtrail", *args, "--endpoint-url", endpoint, "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=60)
    out = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, out, done.stderr


def ok(program, endpoint, operation, *args):
    code, out, err = aws(program, endpoint, operation, *args)
    if code != 0:
        fail(f"aws cloudtrail {operation}: exit {code}: {err.strip()}")
    output = MODEL["operations"][_camel(operation)]["output"]["shape"]
    problems = shape_problems(output, out or {}, "")
    if problems:
        fail(f"aws cloudtrail {operation}: {problems}")
    return out or {}


def refused(program, endpoint, expected, operation, *args):
    code, _, err = aws(program, endpoint, operation, *args)
    if code == 0 or f"An error occurred ({expected})" not in err:
        fail(f"aws cloudtrail {operation}: exit {code}, wanted {expected}: {err.strip()}")


def _camel(command):
    return "".join(word.capitalize() for word in command.split("-"))


def main():
    program, endpoint = sys.argv[1], sys.argv[2]
    version = subprocess.run([program, "--version"], capture_output=True, text=True).stdout.strip()
    store = ok(program, endpoint, "create-event-data-store", "--name", "cli-audit",
               "--advanced-event-selectors", AUDIT, "--no-termination-protection-enabled")
    if store["Status"] != "ENABLED":
        fail(f"create-event-data-store: {store}")
    arn = store["EventDataStoreArn"]
    mgmt = ok(program, endpoint, "create-event-data-store", "--name", "cli-mgmt", "--no-start-ingestion")
    if mgmt["Status"] != "STOPPED_INGESTION":
        fail(f"create-event-data-store --no-start-ingestion: {mgmt}")
    ok(program, endpoint, "start-event-data-store-ingestion", "--event-data-store", mgmt["EventDataStoreArn"])
    refused(program, endpoint, "InvalidEventDataStoreCategoryException",
            "stop-event-data-store-ingestion", "--event-data-store", arn)
    listed = ok(program, endpoint, "list-event-data-stores", "--max-results", "1")
    if len(listed["EventDataStores"]) != 1 or "NextToken" not in listed:
        fail(f"list-event-data-stores --max-results 1: {listed}")
    rest = ok(program, endpoint, "list-event-data-stores", "--next-token", listed["NextToken"])
    if [s["Name"] for s in listed["EventDataStores"] + rest["EventDataStores"]] != ["cli-audit", "cli-mgmt"]:
        fail(f"list-event-data-stores pages: {listed} {rest}")

    destinations = json.dumps([{"Type": "EVENT_DATA_STORE", "Location": arn}])
    channels = [ok(program, endpoint, "create-channel", "--name", f"cli-channel-{n}", "--source", "Custom",
                   "--destinations", destinations)["ChannelArn"] for n in range(2)]
    page = ok(program, endpoint, "list-channels", "--max-results", "1")
    rest = ok(program, endpoint, "list-channels", "--max-results", "1", "--next-token", page["NextToken"])
    if [c["ChannelArn"] for c in page["Channels"] + rest["Channels"]] != channels or "NextToken" in rest:
        fail(f"list-channels pages: {page} {rest}")
    got = ok(program, endpoint, "get-channel", "--channel", channels[0])
    if got["Destinations"] != json.loads(destinations):
        fail(f"get-channel: {got}")
    updated = ok(program, endpoint, "update-channel", "--channel", channels[0], "--name", "cli-renamed")
    if updated["Name"] != "cli-renamed":
        fail(f"update-channel: {updated}")
    refused(program, endpoint, "ChannelAlreadyExistsException", "create-channel", "--name", "cli-channel-1",
            "--source", "Custom", "--destinations", destinations)
    refused(program, endpoint, "InvalidSourceException", "create-channel", "--name", "cli-x",
            "--source", "NoSuchPartner", "--destinations", destinations)
    refused(program, endpoint, "ChannelExistsForEDSException", "delete-event-data-store",
            "--event-data-store", arn)
    for channel in channels:
        ok(program, endpoint, "delete-channel", "--channel", channel)
    refused(program, endpoint, "ChannelNotFoundException", "get-channel", "--channel", channels[0])
    ok(program, endpoint, "delete-event-data-store", "--event-data-store", arn)
    if ok(program, endpoint, "get-event-data-store", "--event-data-store", arn)["Status"] != "PENDING_DELETION":
        fail("delete-event-data-store did not leave the store PENDING_DELETION")
    print(f"{version}: {calls} calls")


if __name__ == "__main__":
    main()
