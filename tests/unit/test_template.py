"""What a security review reads in template.yaml and moto cannot enforce
(key policies, log retention, who may decrypt what): checked here, so a gap
shows before a deploy does."""

from __future__ import annotations

from chiave_local.emulator import template as tpl

TEMPLATE = tpl.template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = tpl.resources_of_type("AWS::Serverless::Function")


def _statements(function_id):
    for policy in FUNCTIONS[function_id]["Properties"].get("Policies", []):
        yield from policy["Statement"]


def _actions_on(function_id, logical_id):
    actions = set()
    for statement in _statements(function_id):
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        if {"Fn::GetAtt": [logical_id, "Arn"]} in resources:
            listed = statement["Action"]
            actions |= set(listed if isinstance(listed, list) else [listed])
    return actions


def test_only_notify_may_read_the_sealed_link_tokens():
    for function_id in FUNCTIONS:
        actions = _actions_on(function_id, "OutboxKey")
        if function_id in ("NotifyFunction", "BulkNotifyFunction"):
            assert actions == {"kms:Decrypt"}
        elif function_id in (
            "RegisterFunction",
            "RequestResetFunction",
            "SendOtpFunction",
            "IssuePinFunction",
            "OpsFunction",
            "ContactsFunction",
            "TotpFunction",
            "FactorChangesFunction",
            "ExpirySweepFunction",
            "InvitationsFunction",
            "AccountFunction",
        ):
            assert actions == {"kms:GenerateDataKey"}
        else:
            assert actions == set(), function_id


def test_only_verify_otp_and_the_enrolment_may_read_authenticator_secrets():
    for function_id in FUNCTIONS:
        actions = _actions_on(function_id, "TotpKey")
        expected = {
            "TotpFunction": {"kms:Encrypt", "kms:Decrypt"},
            "VerifyOtpFunction": {"kms:Decrypt"},
            # A first app on an account without a second factor, after its cool-off.
            "FactorChangesFunction": {"kms:Encrypt"},
            # The account area's enrolment: the new app's secret sealed.
            "AccountFunction": {"kms:Encrypt"},
        }.get(function_id, set())
        assert actions == expected, function_id


def test_the_storage_key_lets_iam_grant_it_and_logs_use_it_for_this_account_only():
    policy = RESOURCES["StorageKey"]["Properties"]["KeyPolicy"]["Statement"]
    principals = {sid["Sid"]: sid["Principal"] for sid in policy}
    assert principals["AccountAdministersThroughIam"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    logs = next(statement for statement in policy if statement["Sid"] == "CloudWatchLogsForThisStack")
    assert logs["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    assert (
        "${AWS::AccountId}:log-group:"
        in logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    )
    assert RESOURCES["StorageKey"]["Properties"]["EnableKeyRotation"] is True


def test_every_function_may_decrypt_its_encrypted_environment():
    globals_ = tpl.template()["Globals"]["Function"]
    assert globals_["KmsKeyArn"] == {"Fn::GetAtt": ["StorageKey", "Arn"]}
    for function_id in FUNCTIONS:
        assert "kms:Decrypt" in _actions_on(function_id, "StorageKey"), function_id


def test_table_and_queues_are_encrypted_with_the_storage_key():
    sse = RESOURCES["Table"]["Properties"]["SSESpecification"]
    assert (sse["SSEType"], sse["KMSMasterKeyId"]) == ("KMS", {"Ref": "StorageKey"})
    for queue in tpl.resources_of_type("AWS::SQS::Queue").values():
        assert queue["Properties"]["KmsMasterKeyId"] == {"Ref": "StorageKey"}


def test_every_log_group_is_kept_for_the_chosen_retention_and_encrypted():
    groups = tpl.resources_of_type("AWS::Logs::LogGroup")
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["StorageKey", "Arn"]}
    # And every function writes to one of them, none to a group kept forever
    for function_id, function in FUNCTIONS.items():
        assert function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] in groups, function_id


def test_access_logs_carry_what_ops_need_and_no_body():
    for api in (tpl.API, tpl.PROVIDER_API):
        access = RESOURCES[api]["Properties"]["AccessLogSetting"]
        assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
        for field in (
            "$context.requestId",
            "$context.resourcePath",
            "$context.status",
            "$context.identity.sourceIp",
        ):
            assert field in access["Format"]
        for secret in ("requestBody", "$input", "$context.path", "querystring", "header"):
            assert secret not in access["Format"]


def _rules_when(waf_on: bool) -> dict[str, dict]:
    """The regional firewall's rules as deployed with EnableWaf on or off."""
    rules = {}
    for rule in RESOURCES["ApiFirewall"]["Properties"]["Rules"]:
        if "Fn::If" in rule:
            condition, chosen, otherwise = rule["Fn::If"]
            assert condition == "WafOn"
            rule = chosen if waf_on else otherwise
        if rule != {"Ref": "AWS::NoValue"}:
            rules[rule["Name"]] = rule
    return rules


def test_the_account_role_and_the_firewall_follow_their_parameters():
    assert RESOURCES["ApiGatewayAccount"]["Condition"] == "AccountRoleOn"
    assert RESOURCES["ApiGatewayCloudWatchRole"]["Condition"] == "AccountRoleOn"
    assert tpl.template()["Parameters"]["CreateApiGatewayAccountRole"]["Default"] == "false"
    # The origin rule always; the rate and managed rules with EnableWaf
    assert set(_rules_when(False)) == {"only-through-cloudfront"}
    assert set(_rules_when(True)) == {
        "only-through-cloudfront",
        "requests-per-address",
        "aws-ip-reputation",
        "aws-known-bad-inputs",
    }
    # Both stages behind it, whatever EnableWaf says
    for association in ("ApiFirewallAssociation", "ProviderFirewallAssociation"):
        assert "Condition" not in RESOURCES[association]
        assert RESOURCES[association]["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["ApiFirewall", "Arn"]}


def test_only_cloudfront_reaches_a_public_route_and_the_internal_ones_stay_direct():
    # Given the secret CloudFront sends to both APIs
    secret = {"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString:value}}"}
    distribution = RESOURCES["PortalDistribution"]["Properties"]["DistributionConfig"]
    origins = {origin["Id"]: origin for origin in distribution["Origins"]}
    for api in ("api", "provider"):
        [header] = origins[api]["OriginCustomHeaders"]
        assert header == {"HeaderName": "X-Chiave-Origin-Verify", "HeaderValue": secret}
        assert origins[api]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    # Then the firewall blocks a request without it, unless it is for an internal route (SigV4)
    rule = _rules_when(False)["only-through-cloudfront"]
    assert rule["Action"] == {"Block": {}}
    without_secret, not_internal = (
        s["NotStatement"]["Statement"] for s in rule["Statement"]["AndStatement"]["Statements"]
    )
    assert without_secret["ByteMatchStatement"]["SearchString"] == secret
    assert without_secret["ByteMatchStatement"]["FieldToMatch"] == {
        "SingleHeader": {"Name": "x-chiave-origin-verify"}
    }
    assert not_internal["ByteMatchStatement"]["SearchString"] == "/v1/internal/"
    # And behind CloudFront an address is an edge node's: the regional rate rule counts direct calls only
    rate = _rules_when(True)["requests-per-address"]["Statement"]["RateBasedStatement"]
    assert rate["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/v1/internal/"


def test_one_origin_routes_the_api_and_the_sign_in_and_forwards_the_parent_s_address():
    distribution = RESOURCES["PortalDistribution"]["Properties"]["DistributionConfig"]
    behaviours = {b["PathPattern"]: b for b in distribution["CacheBehaviors"]}
    assert {path: b["TargetOriginId"] for path, b in behaviours.items()} == {
        "/v1/*": "api",
        "/oidc/*": "provider",
    }
    origins = {origin["Id"]: origin for origin in distribution["Origins"]}
    assert origins["api"]["DomainName"]["Fn::Sub"].startswith("${ChiaveApi}.execute-api.")
    assert origins["provider"]["DomainName"]["Fn::Sub"].startswith("${ProviderApi}.execute-api.")
    assert origins["provider"]["OriginPath"] == "/v1"  # /oidc/token -> the stage's /oidc/token
    forwarded = RESOURCES["ApiRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert "CloudFront-Viewer-Address" in forwarded["Headers"] and "Host" not in forwarded["Headers"]
    cached = RESOURCES["ApiCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert (cached["DefaultTTL"], cached["MaxTTL"]) == (0, 1)
    key = cached["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["HeadersConfig"]["Headers"] == ["Authorization"]
    assert key["CookiesConfig"]["Cookies"] == ["__Host-chiave-session"]
    for behaviour in behaviours.values():
        assert behaviour["ViewerProtocolPolicy"] == "https-only"
        assert behaviour["CachePolicyId"] == {"Ref": "ApiCachePolicy"}
        assert "POST" in behaviour["AllowedMethods"]
    # The custom domain's certificate and the edge's web ACL: us-east-1, by ARN
    assert distribution["Aliases"] == [{"Ref": "DomainName"}]
    assert distribution["ViewerCertificate"]["AcmCertificateArn"] == {"Ref": "CertificateArn"}
    parameters = tpl.template()["Parameters"]
    assert ":acm:us-east-1:" in parameters["CertificateArn"]["AllowedPattern"]
    assert ":wafv2:us-east-1:" in parameters["EdgeWebAclArn"]["AllowedPattern"]
    assert distribution["WebACLId"] == {
        "Fn::If": ["EdgeWafOn", {"Ref": "EdgeWebAclArn"}, {"Ref": "AWS::NoValue"}]
    }


def _throttles(api: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(path, method) -> (rate, burst). A ResourcePath is "/" then the path with
    each "/" as "~1": /pins is "/~1pins" (the stage's default is "/*")."""
    settings = RESOURCES[api]["Properties"]["MethodSettings"]

    def path(resource_path: str) -> str:
        return resource_path if resource_path == "/*" else resource_path[1:].replace("~1", "/")

    return {
        (path(s["ResourcePath"]), s["HttpMethod"]): (
            s["ThrottlingRateLimit"],
            s["ThrottlingBurstLimit"],
        )
        for s in settings
    }


def test_each_route_group_has_a_throttle_of_its_own_on_a_route_that_exists():
    for api in (tpl.API, tpl.PROVIDER_API):
        throttles = _throttles(api)
        routes = {(route.path, route.method) for route in tpl.api_routes(api)}
        # Every throttled path is one of that API's routes (a typo would throttle nothing)
        assert set(throttles) - {("/*", "*")} <= routes, api
        assert ("/*", "*") in throttles
    # The password routes and the sending routes are apart from the rest
    spec = _throttles(tpl.API)
    for route in ("/pins", "/sign-in", "/otp/send", "/schools/{school}/registrations"):
        assert (route, "POST") in spec, route
    # The token endpoint (one KMS Sign each) stays under the account's RSA signing quota (500/s)
    assert _throttles(tpl.PROVIDER_API)[("/oidc/token", "POST")][0] < 500


def test_snapstart_serves_every_function_through_its_alias_unless_switched_off():
    # Given the template's function settings
    settings = tpl.template()["Globals"]["Function"]
    # Then every deployment publishes a version behind one alias (API and queue invoke it),
    # and SnapStart snapshots those versions when the parameter says so
    assert settings["AutoPublishAlias"] == "live"
    assert settings["SnapStart"] == {"ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}}
    assert tpl.template()["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "EnableSnapStart"}, "true"]}
    assert tpl.template()["Parameters"]["EnableSnapStart"]["AllowedValues"] == ["true", "false"]
    for function_id, function in FUNCTIONS.items():
        assert "AutoPublishAlias" not in function["Properties"], function_id


def test_internal_routes_take_only_signed_calls_from_the_register_vendors_roles():
    # Given the template's routes and the API's resource policy
    routes = {route.path: route for route in tpl.api_routes()}
    statements = {
        statement["Sid"]: statement
        for statement in RESOURCES["ChiaveApi"]["Properties"]["Auth"]["ResourcePolicy"]["CustomStatements"]
    }
    # Then every internal route, and only those, needs a SigV4 signature (AWS_IAM)...
    for path, route in routes.items():
        assert route.iam == path.startswith("/internal/"), path
    # ...and the API denies them to every principal but the vendors' roles (a parameter)
    deny = statements["InternalRoutesOnlyForRegisterVendors"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Resource"] == "execute-api:/*/*/internal/*"
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": {"Ref": "RegisterVendorRoleArns"}}}
    # ...whose default admits nobody
    default = TEMPLATE["Parameters"]["RegisterVendorRoleArns"]["Default"]
    assert "no-register-vendor-yet" in default
    # And the public routes stay callable by anyone
    assert statements["PublicRoutes"]["Effect"] == "Allow" and statements["PublicRoutes"]["Principal"] == "*"


def test_every_alarm_notifies_the_alarm_topic():
    alarms = tpl.resources_of_type("AWS::CloudWatch::Alarm")
    assert {"ApiServerErrorAlarm", "OutboxDeadLetterAlarm", "BounceRateAlarm", "SmsSpendAlarm"} <= set(alarms)
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
    bounce = alarms["BounceRateAlarm"]["Properties"]
    assert (bounce["MetricName"], bounce["Threshold"]) == ("Reputation.BounceRate", 0.05)


def test_the_dashboard_is_valid_json_with_the_stack_s_resources():
    import json
    import re

    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    text, variables = body
    # Each ${Name} is one of the Sub's variables or a resource of the template (its Ref).
    assert set(re.findall(r"\$\{(\w+)\}", text)) <= set(variables) | set(RESOURCES)
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "X", text))["widgets"]
    titles = " ".join(widget["properties"]["title"] for widget in widgets)
    for shown in ("API", "Outbox", "bounce", "Sweep", "SMS"):
        assert shown in titles


def test_the_sender_domain_signs_with_dkim_and_has_its_own_mail_from():
    identity = RESOURCES["SenderIdentity"]["Properties"]
    assert identity["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["MailFromAttributes"]["MailFromDomain"] == {"Fn::Sub": "mail.${SenderDomain}"}
    outputs = tpl.template()["Outputs"]
    expected = {"DkimRecords", "MailFromRecords", "DmarcRecord", "DashboardName", "ImportBucketName"}
    assert expected <= set(outputs)


def test_the_pages_are_served_from_a_private_bucket_over_https_only_with_strict_headers():
    resources = tpl.template()["Resources"]
    distribution = resources["PortalDistribution"]["Properties"]["DistributionConfig"]
    [origin] = [origin for origin in distribution["Origins"] if origin["Id"] == "pages"]
    # Only the distribution reads the bucket (origin access control), which blocks public access
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["PortalOriginAccess", "Id"]}
    blocked = resources["PortalBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(blocked.values()) and len(blocked) == 4
    [reader, tls] = resources["PortalBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert reader["Principal"] == {"Service": "cloudfront.amazonaws.com"} and "AWS:SourceArn" in str(reader)
    assert tls["Effect"] == "Deny"
    behaviour = distribution["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "https-only"
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "PortalHeaders"}
    headers = resources["PortalHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    # No other origin anywhere: the pages, the API and the sign-in are one ('self'), and data:
    sources = {word for word in csp.replace(";", " ").split() if "." in word or ":" in word}
    assert sources == {"data:"} and "connect-src 'self';" in csp
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    # And the local stack sends the same policy
    from chiave_local.demo import portal

    assert portal.SECURITY_HEADERS["Content-Security-Policy"] == csp


def test_the_api_needs_no_cors_on_one_origin_and_its_pages_origin_is_the_domain():
    api = tpl.template()["Resources"][tpl.API]["Properties"]
    assert "Cors" not in api
    for kind, response in api["GatewayResponses"].items():
        assert "Access-Control-Allow-Origin" not in response["ResponseParameters"]["Headers"], kind
    assert tpl.global_environment()["PORTAL_URL"] == {"Fn::Sub": "https://${DomainName}"}


def _skips(resource):
    return {
        skip["id"]: skip.get("comment", "")
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


def test_a_global_checkov_skip_is_never_also_a_resource_s_and_resource_skips_give_reasons():
    # Given checkov's global skips (.checkov.yaml) and the skips on the resources
    import yaml

    config = yaml.safe_load((tpl.ROOT / ".checkov.yaml").read_text())
    global_skips = set(config["skip-check"])
    # Then a check is skipped in one place only, and every resource's skip says why
    for logical_id, resource in RESOURCES.items():
        skips = _skips(resource)
        assert not global_skips & set(skips), logical_id
        assert all(reason.strip() for reason in skips.values()), logical_id


def test_a_skip_with_one_reason_for_every_function_lives_in_checkov_s_configuration():
    # Given the checks every function skips
    per_function = [_skips(resource) for resource in FUNCTIONS.values()]
    shared = set.intersection(*(set(skips) for skips in per_function))
    # Then none of them carries the same reason on every function: that one would be global
    for check in shared:
        assert len({skips[check] for skips in per_function}) > 1, check


# The functions an operator runs from the console (no API route, no queue, no schedule).
CONSOLE_FUNCTIONS = {
    "ConfigureSchoolFunction",
    "ConfigureClientFunction",
    "OpsFunction",
    "InviteFunction",
    "SchoolReportFunction",
}


def _policy_statements(logical_id):
    return RESOURCES[logical_id]["Properties"]["PolicyDocument"]["Statement"]


def _granting(action):
    """Every statement in the template that allows `action`, with where it is."""
    found = []
    for logical_id, resource in RESOURCES.items():
        documents = []
        properties = resource.get("Properties", {})
        if "PolicyDocument" in properties:
            documents.append(properties["PolicyDocument"])
        for policy in properties.get("Policies", []):
            documents.append(policy.get("PolicyDocument", policy))
        for document in documents:
            for statement in document.get("Statement", []):
                actions = statement.get("Action", [])
                actions = actions if isinstance(actions, list) else [actions]
                if statement.get("Effect") == "Allow" and (action in actions or "lambda:*" in actions):
                    found.append((logical_id, statement))
    return found


def test_the_operators_policy_is_the_only_grant_of_the_console_functions():
    # Given every statement that allows lambda:InvokeFunction, and every Lambda permission
    granting = _granting("lambda:InvokeFunction")
    permissions = [
        resource["Properties"]["FunctionName"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::Lambda::Permission"
    ]
    # Then only the operators' managed policy names the console functions, each of them
    assert [logical_id for logical_id, _ in granting] == ["OperatorsPolicy"]
    [(_, statement)] = granting
    assert {resource["Fn::GetAtt"][0] for resource in statement["Resource"]} == CONSOLE_FUNCTIONS
    assert not any(
        isinstance(name, dict) and name.get("Fn::GetAtt", [""])[0] in CONSOLE_FUNCTIONS
        for name in permissions
    )
    assert "OperatorsPolicyArn" in TEMPLATE["Outputs"]


def _allowed(statements, action, arn, tags):
    """Whether an identity policy's statements allow `action` on `arn` for a
    principal with `tags` (the variables IAM substitutes, `*` as IAM matches it)."""
    import fnmatch
    import re

    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] != "Allow" or action not in actions:
            continue
        pattern = statement["Resource"]["Fn::Sub"]
        pattern = pattern.replace("${AWS::Partition}", "aws").replace("${ImportBucket}", "chiave-imports")
        pattern = re.sub(
            r"\$\{!aws:PrincipalTag/([a-z-]+)\}", lambda found: tags.get(found.group(1), "\0"), pattern
        )
        if fnmatch.fnmatchcase(arn, pattern):
            return True
    return False


def test_a_school_uploader_writes_its_own_school_s_prefix_only():
    statements = _policy_statements("SchoolUploadersPolicy")
    mine = {"chiave-school": "RMIC817009"}
    bucket = "arn:aws:s3:::chiave-imports"
    assert _allowed(statements, "s3:PutObject", f"{bucket}/imports/RMIC817009/anagrafica.csv", mine)
    for elsewhere in (
        "imports/MIIC8AB001/anagrafica.csv",
        "reports/RMIC817009.csv",
        "imports/anagrafica.csv",
    ):
        assert not _allowed(statements, "s3:PutObject", f"{bucket}/{elsewhere}", mine), elsewhere
    # An untagged principal writes nowhere
    assert not _allowed(statements, "s3:PutObject", f"{bucket}/imports/RMIC817009/anagrafica.csv", {})
    assert not _allowed(statements, "s3:PutObject", f"{bucket}/imports//anagrafica.csv", {})
    assert "SchoolUploadersPolicyArn" in TEMPLATE["Outputs"]


def test_the_import_bucket_refuses_every_request_without_tls():
    [statement] = _policy_statements("ImportBucketPolicy")
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [
        {"Fn::GetAtt": ["ImportBucket", "Arn"]},
        {"Fn::Sub": "${ImportBucket.Arn}/*"},
    ]


def test_the_console_trail_is_on_by_default_and_records_the_console_functions_only():
    assert TEMPLATE["Parameters"]["EnableOpsTrail"]["Default"] == "true"
    [selector] = RESOURCES["OpsTrail"]["Properties"]["EventSelectors"]
    assert selector["IncludeManagementEvents"] is False
    [data] = selector["DataResources"]
    assert data["Type"] == "AWS::Lambda::Function"
    assert {value["Fn::GetAtt"][0] for value in data["Values"]} == CONSOLE_FUNCTIONS
