#!/usr/bin/env python3
"""The emulator as boto3 sees it: channels and event data stores created,
read, listed page by page, updated and deleted; every answer holds only
members of its output shape (none the model marks deprecated); every
modelled error the emulator can give arrives as its modelled exception
class. Usage: boto3_lifecycle.py ENDPOINT (a fresh `ctconform serve`)."""

import sys
import uuid

from botocore.exceptions import ClientError

from common import SERVED, client, fail, modelled_errors, shape_problems

ARN_PREFIX = "arn:aws:cloudtrail:us-east-1:123456789012"
AUDIT = [{"Name": "audit", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}]
checked_errors = set()
calls = 0


def call(ct, operation, **params):
    """A call expected to succeed; its answer is checked against the model."""
    global calls
    calls += 1
    method = getattr(ct, _snake(operation))
    answer = method(**params)
    output = ct.meta.service_model.operation_model(operation).output_shape
    problems = shape_problems(output.name, answer, "")
    if problems:
        fail(f"{operation}: {problems}")
    return answer


def refused(ct, operation, codes, **params):
    """A call expected to fail with one of `codes` (the first the likeliest);
    a modelled code must arrive as its modelled exception class."""
    global calls
    calls += 1
    method = getattr(ct, _snake(operation))
    try:
        answer = method(**params)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        if code not in codes:
            fail(f"{operation}: {code} (HTTP {status}), not one of {codes}")
        if not 400 <= status < 500:
            fail(f"{operation}: {code} came with HTTP {status}")
        if code in modelled_errors(operation):
            modelled = getattr(ct.exceptions, code)
            if not isinstance(error, modelled):
                fail(f"{operation}: {code} arrived as {type(error).__name__}, not its modelled class")
            checked_errors.add((operation, code))
        return code
    fail(f"{operation}: succeeded where one of {codes} was due: {answer}")


def _snake(operation):
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


def page_through(ct, operation, member, page_size):
    """Every item of a list operation, `page_size` at a time."""
    items, token, pages = [], None, 0
    while True:
        params = {"MaxResults": page_size}
        if token:
            params["NextToken"] = token
        answer = call(ct, operation, **params)
        page = answer[member]
        if len(page) > page_size:
            fail(f"{operation}: a page of {len(page)} for MaxResults {page_size}")
        items += page
        pages += 1
        token = answer.get("NextToken")
        if not token:
            return items, pages
        if pages > 100:
            fail(f"{operation}: NextToken never ends")


def stores(ct):
    audit = call(ct, "CreateEventDataStore", Name="sdk-audit", AdvancedEventSelectors=AUDIT,
                 TerminationProtectionEnabled=False, TagsList=[{"Key": "team", "Value": "sdk"}])
    if audit["Status"] != "ENABLED" or audit["TagsList"] != [{"Key": "team", "Value": "sdk"}]:
        fail(f"CreateEventDataStore: {audit}")
    audit_arn = audit["EventDataStoreArn"]
    if not audit_arn.startswith(ARN_PREFIX + ":eventdatastore/"):
        fail(f"CreateEventDataStore: ARN {audit_arn}")
    # StartIngestion=false on a category that can start: startable later.
    mgmt = call(ct, "CreateEventDataStore", Name="sdk-mgmt", StartIngestion=False,
                KmsKeyId="alias/sdk-key", RetentionPeriod=90)
    mgmt_arn = mgmt["EventDataStoreArn"]
    if mgmt["Status"] != "STOPPED_INGESTION" or mgmt.get("KmsKeyId") != "alias/sdk-key":
        fail(f"CreateEventDataStore StartIngestion=false: {mgmt}")
    call(ct, "StartEventDataStoreIngestion", EventDataStore=mgmt_arn)
    if call(ct, "GetEventDataStore", EventDataStore=mgmt_arn)["Status"] != "ENABLED":
        fail("a started store is not ENABLED")
    refused(ct, "StartEventDataStoreIngestion", ["InvalidEventDataStoreStatusException"], EventDataStore=mgmt_arn)
    call(ct, "StopEventDataStoreIngestion", EventDataStore=mgmt_arn.rsplit("/", 1)[1])
    got = call(ct, "GetEventDataStore", EventDataStore=mgmt_arn)
    if got["Status"] != "STOPPED_INGESTION" or got["RetentionPeriod"] != 90:
        fail(f"GetEventDataStore after stop: {got}")
    for operation in ["StopEventDataStoreIngestion", "StartEventDataStoreIngestion"]:
        refused(ct, operation, ["InvalidEventDataStoreCategoryException"], EventDataStore=audit_arn)

    refused(ct, "CreateEventDataStore", ["EventDataStoreAlreadyExistsException"], Name="sdk-audit")
    refused(ct, "CreateEventDataStore", ["InvalidTagParameterException"], Name="sdk-x",
            TagsList=[{"Key": "k"}, {"Key": "k"}])
    refused(ct, "CreateEventDataStore", ["InvalidTagParameterException"], Name="sdk-x",
            TagsList=[{"Key": "aws:reserved"}])
    refused(ct, "CreateEventDataStore", ["InvalidEventSelectorsException"], Name="sdk-x",
            AdvancedEventSelectors=AUDIT * 6)
    refused(ct, "CreateEventDataStore", ["InvalidEventSelectorsException"], Name="sdk-x",
            AdvancedEventSelectors=[{"FieldSelectors": [{"Field": "eventName"}]}])
    refused(ct, "GetEventDataStore", ["EventDataStoreNotFoundException"],
            EventDataStore=f"{ARN_PREFIX}:eventdatastore/{uuid.uuid4()}")
    refused(ct, "GetEventDataStore", ["EventDataStoreARNInvalidException"],
            EventDataStore=f"{ARN_PREFIX}:eventdatastore")
    refused(ct, "DeleteEventDataStore", ["EventDataStoreTerminationProtectedException"],
            EventDataStore=call(ct, "CreateEventDataStore", Name="sdk-protected")["EventDataStoreArn"])
    refused(ct, "ListEventDataStores", ["InvalidNextTokenException"], NextToken="not-a-token")
    return audit_arn, mgmt_arn


def channels(ct, audit_arn, mgmt_arn):
    destinations = [{"Type": "EVENT_DATA_STORE", "Location": audit_arn}]
    made = []
    for n in range(3):
        answer = call(ct, "CreateChannel", Name=f"sdk-channel-{n}", Source="Custom", Destinations=destinations,
                      **({"Tags": [{"Key": "n", "Value": str(n)}]} if n == 0 else {}))
        if answer["Destinations"] != destinations or answer["Name"] != f"sdk-channel-{n}":
            fail(f"CreateChannel echo: {answer}")
        made.append(answer["ChannelArn"])
    got = call(ct, "GetChannel", Channel=made[0].rsplit("/", 1)[1])
    if got["ChannelArn"] != made[0] or got["Source"] != "Custom" or "Tags" in got:
        fail(f"GetChannel by id: {got}")
    listed, pages = page_through(ct, "ListChannels", "Channels", 1)
    if [c["ChannelArn"] for c in listed] != made or pages != 3:
        fail(f"ListChannels one at a time: {listed} in {pages} pages")
    renamed = call(ct, "UpdateChannel", Channel=made[1], Name="sdk-renamed")
    if renamed["Name"] != "sdk-renamed" or call(ct, "GetChannel", Channel=made[1])["Name"] != "sdk-renamed":
        fail(f"UpdateChannel rename: {renamed}")
    refused(ct, "UpdateChannel", ["ChannelAlreadyExistsException"], Channel=made[1], Name="sdk-channel-0")
    refused(ct, "CreateChannel", ["ChannelAlreadyExistsException"], Name="sdk-channel-0", Source="Custom",
            Destinations=destinations)
    refused(ct, "CreateChannel", ["InvalidSourceException"], Name="sdk-new", Source="NoSuchPartner",
            Destinations=destinations)
    refused(ct, "CreateChannel", ["InvalidEventDataStoreCategoryException"], Name="sdk-new", Source="Custom",
            Destinations=[{"Type": "EVENT_DATA_STORE", "Location": mgmt_arn}])
    refused(ct, "UpdateChannel", ["InvalidEventDataStoreCategoryException"], Channel=made[0],
            Destinations=[{"Type": "EVENT_DATA_STORE", "Location": mgmt_arn}])
    refused(ct, "CreateChannel", ["EventDataStoreNotFoundException"], Name="sdk-new", Source="Custom",
            Destinations=[{"Type": "EVENT_DATA_STORE", "Location": f"{ARN_PREFIX}:eventdatastore/{uuid.uuid4()}"}])
    refused(ct, "CreateChannel", ["EventDataStoreARNInvalidException"], Name="sdk-new", Source="Custom",
            Destinations=[{"Type": "EVENT_DATA_STORE", "Location": "arn:aws:s3:::bucket"}])
    refused(ct, "CreateChannel", ["TagsLimitExceededException"], Name="sdk-new", Source="Custom",
            Destinations=destinations, Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(51)])
    refused(ct, "CreateChannel", ["InvalidTagParameterException"], Name="sdk-new", Source="Custom",
            Destinations=destinations, Tags=[{"Key": "k"}, {"Key": "k"}])
    refused(ct, "CreateChannel", ["InvalidParameterException", "OperationNotPermittedException",
                                  "UnsupportedOperationException"],
            Name="sdk-new", Source="Custom", Destinations=[{"Type": "AWS_SERVICE", "Location": "aws-service"}])
    refused(ct, "DeleteEventDataStore", ["ChannelExistsForEDSException"], EventDataStore=audit_arn)
    for operation in ["GetChannel", "DeleteChannel", "UpdateChannel"]:
        refused(ct, operation, ["ChannelNotFoundException"], Channel=f"{ARN_PREFIX}:channel/{uuid.uuid4()}")
        refused(ct, operation, ["ChannelARNInvalidException", "ChannelNotFoundException"],
                Channel=f"{ARN_PREFIX}:channel")
    refused(ct, "ListChannels", ["InvalidNextTokenException"], NextToken="not-a-token")
    for arn in made:
        call(ct, "DeleteChannel", Channel=arn)
    refused(ct, "GetChannel", ["ChannelNotFoundException"], Channel=made[0])
    if call(ct, "ListChannels")["Channels"] != []:
        fail("channels left after their deletion")
    # Delete frees the name.
    again = call(ct, "CreateChannel", Name="sdk-channel-0", Source="Custom", Destinations=destinations)
    call(ct, "DeleteChannel", Channel=again["ChannelArn"])


def deletion_and_quota(ct, audit_arn):
    call(ct, "DeleteEventDataStore", EventDataStore=audit_arn)
    if call(ct, "GetEventDataStore", EventDataStore=audit_arn)["Status"] != "PENDING_DELETION":
        fail("a deleted store is not PENDING_DELETION")
    refused(ct, "CreateChannel", ["InactiveEventDataStoreException", "EventDataStoreNotFoundException"],
            Name="sdk-late", Source="Custom", Destinations=[{"Type": "EVENT_DATA_STORE", "Location": audit_arn}])
    refused(ct, "DeleteEventDataStore", ["InactiveEventDataStoreException", "EventDataStoreNotFoundException"],
            EventDataStore=audit_arn)
    # Pending deletion still counts towards the ten.
    listed, _ = page_through(ct, "ListEventDataStores", "EventDataStores", 2)
    for n in range(len(listed), 10):
        call(ct, "CreateEventDataStore", Name=f"sdk-fill-{n}", TerminationProtectionEnabled=False)
    listed, pages = page_through(ct, "ListEventDataStores", "EventDataStores", 3)
    if len(listed) != 10 or pages != 4 or not any(s["EventDataStoreArn"] == audit_arn for s in listed):
        fail(f"ListEventDataStores by three: {len(listed)} stores in {pages} pages")
    refused(ct, "CreateEventDataStore", ["EventDataStoreMaxLimitExceededException"], Name="sdk-eleventh")


def main():
    import boto3
    import botocore

    endpoint = sys.argv[1]
    ct = client(endpoint)
    audit_arn, mgmt_arn = stores(ct)
    channels(ct, audit_arn, mgmt_arn)
    deletion_and_quota(ct, audit_arn)
    # Which modelled errors the emulator can give that were not seen.
    seen_codes = {code for _, code in checked_errors}
    print(f"boto3 {boto3.__version__} botocore {botocore.__version__}: {calls} calls, "
          f"{len(checked_errors)} (operation, modelled error) pairs arrived as their classes "
          f"({len(seen_codes)} codes) across {len({op for op, _ in checked_errors})} of {len(SERVED)} operations")


if __name__ == "__main__":
    main()
