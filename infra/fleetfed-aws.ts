// The AWS side of fleetfed as code (README, Set-up step 2): what used to be five console steps.
//
//   FleetfedAws          in the account that holds the hosted zones (or the GitHub-facing account):
//                        the GitHub OIDC provider (or reuse of an existing one), the read-only role
//                        that only the fleet repository's main branch may assume, and optionally the
//                        EventBridge rule + connection + API destination that dispatches
//                        `route53-changed` to the repository when a record set changes.
//   FleetfedZoneReader   in each further account with zones: a read-only role the sync role may assume.
//
// CDK defines them; `npm run infra:check` synthesizes them, checks them with cdk-nag (AWS Solutions rules
// and fleetfed's own) and compares them with the committed templates, which users deploy with plain
// `aws cloudformation deploy`: no CDK bootstrap, no CDK install.

// CDK and cdk-nag are CommonJS: their exports are reached through the default import.
import cdk from "aws-cdk-lib";
import events from "aws-cdk-lib/aws-events";
import iam from "aws-cdk-lib/aws-iam";

const { App, Aws, CfnCondition, CfnOutput, CfnParameter, DefaultStackSynthesizer, Fn, Stack } = cdk;

const GITHUB_OIDC = "token.actions.githubusercontent.com";

/** Variants that must fail the checks: the negative controls of `infra:check`. */
export type Flaw = "wildcard-action" | "trust-without-sub";

const ROUTE53_READ = ["route53:ListResourceRecordSets", "route53:GetHostedZone"];

export function fleetfedApp(outdir: string, flaw?: Flaw): cdk.App {
  const app = new App({ analyticsReporting: false, outdir });
  const synthesizer = () => new DefaultStackSynthesizer({ generateBootstrapVersionRule: false });

  // --- FleetfedAws
  const stack = new Stack(app, "FleetfedAws", {
    synthesizer: synthesizer(),
    description:
      "fleetfed: GitHub OIDC, a read-only Route 53 role for the sync workflow, optional change trigger",
  });
  new CfnParameter(stack, "GitHubRepository", {
    type: "String",
    allowedPattern: "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
    description: "owner/name of the fleet repository; only its main branch may assume the role",
  });
  // Referenced by name inside Fn::Sub below, as are GitHubRepository and GitHubTokenSecretArn.
  new CfnParameter(stack, "Branch", { type: "String", default: "main" });
  const zoneIds = new CfnParameter(stack, "HostedZoneIds", {
    type: "CommaDelimitedList",
    default: "*",
    description: "hosted zone ids the role may read (default: every zone of the account)",
  });
  const createProvider = new CfnParameter(stack, "CreateOidcProvider", {
    type: "String",
    allowedValues: ["true", "false"],
    default: "true",
    description: "false when the account already has the token.actions.githubusercontent.com provider",
  });
  const trigger = new CfnParameter(stack, "EnableChangeTrigger", {
    type: "String",
    allowedValues: ["true", "false"],
    default: "false",
    description:
      "dispatch route53-changed to the repository on every record change (needs a CloudTrail trail logging management events)",
  });
  new CfnParameter(stack, "GitHubTokenSecretArn", {
    type: "String",
    default: "",
    description:
      "Secrets Manager secret holding a GitHub token that may create repository dispatches (only with the trigger)",
  });

  const providerCondition = new CfnCondition(stack, "CreateProvider", {
    expression: Fn.conditionEquals(createProvider.valueAsString, "true"),
  });
  const provider = new iam.CfnOIDCProvider(stack, "GitHubOidcProvider", {
    url: `https://${GITHUB_OIDC}`,
    clientIdList: ["sts.amazonaws.com"],
  });
  provider.cfnOptions.condition = providerCondition;
  const providerArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${GITHUB_OIDC}`;

  const conditions: Record<string, unknown> = {
    StringEquals: {
      [`${GITHUB_OIDC}:aud`]: "sts.amazonaws.com",
      ...(flaw !== "trust-without-sub" && {
        [`${GITHUB_OIDC}:sub`]: Fn.sub("repo:${GitHubRepository}:ref:refs/heads/${Branch}"),
      }),
    },
  };
  const role = new iam.CfnRole(stack, "SyncRole", {
    roleName: "fleetfed-sync",
    description: "Assumed by the fleetfed sync workflow of one repository's main branch: reads Route 53",
    maxSessionDuration: 3600,
    assumeRolePolicyDocument: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: providerArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: conditions,
        },
      ],
    },
    policies: [
      {
        policyName: "route53-read",
        policyDocument: {
          Version: "2012-10-17",
          Statement: [
            // ListHostedZones has no resource-level permissions: it can only be granted on *.
            ...route53Read(zoneIds.valueAsList, flaw === "wildcard-action" ? ["route53:*"] : ROUTE53_READ),
            // Assume FleetfedZoneReader roles in other accounts that hold zones (discovery.route53.accounts).
            {
              Effect: "Allow",
              Action: "sts:AssumeRole",
              Resource: `arn:${Aws.PARTITION}:iam::*:role/fleetfed-zone-reader`,
            },
          ],
        },
      },
    ],
  });
  suppress(role, [
    {
      id: "AwsSolutions-IAM5",
      reason: "route53:ListHostedZones supports no resource-level permissions",
      appliesTo: ["Resource::*"],
    },
    {
      id: "AwsSolutions-IAM5",
      reason:
        "the accounts that hold further zones are not known here; only roles named fleetfed-zone-reader",
      appliesTo: ["Resource::arn:<AWS::Partition>:iam::*:role/fleetfed-zone-reader"],
    },
  ]);
  cdk.Validations.of(stack).acknowledge({
    id: "CloudFormation-Validate::W2509",
    reason: "GitHubTokenSecretArn is the ARN of a secret, not the secret: it is resolved by CloudFormation",
  });

  const triggerCondition = new CfnCondition(stack, "Trigger", {
    expression: Fn.conditionEquals(trigger.valueAsString, "true"),
  });
  const connection = new events.CfnConnection(stack, "GitHubConnection", {
    authorizationType: "API_KEY",
    authParameters: {
      apiKeyAuthParameters: {
        apiKeyName: "Authorization",
        apiKeyValue: Fn.sub("Bearer {{resolve:secretsmanager:${GitHubTokenSecretArn}:SecretString}}"),
      },
    },
  });
  connection.cfnOptions.condition = triggerCondition;
  const destination = new events.CfnApiDestination(stack, "GitHubDispatch", {
    connectionArn: connection.attrArn,
    httpMethod: "POST",
    invocationEndpoint: Fn.sub("https://api.github.com/repos/${GitHubRepository}/dispatches"),
    invocationRateLimitPerSecond: 1,
  });
  destination.cfnOptions.condition = triggerCondition;
  const eventsRole = new iam.CfnRole(stack, "DispatchRole", {
    assumeRolePolicyDocument: {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    },
    policies: [
      {
        policyName: "invoke-dispatch",
        policyDocument: {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "events:InvokeApiDestination", Resource: destination.attrArn },
          ],
        },
      },
    ],
  });
  eventsRole.cfnOptions.condition = triggerCondition;
  const rule = new events.CfnRule(stack, "Route53Changed", {
    description: "A record set or zone changed (seen through CloudTrail): ask fleetfed to sync now",
    eventPattern: {
      source: ["aws.route53"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: { eventName: ["ChangeResourceRecordSets", "CreateHostedZone", "DeleteHostedZone"] },
    },
    targets: [
      {
        id: "github",
        arn: destination.attrArn,
        roleArn: eventsRole.attrArn,
        input: JSON.stringify({ event_type: "route53-changed" }),
      },
    ],
  });
  rule.cfnOptions.condition = triggerCondition;
  new CfnOutput(stack, "SyncRoleArn", {
    value: role.attrArn,
    description: "set as the repository variable AWS_ROLE_ARN",
  });

  // --- FleetfedZoneReader
  const reader = new Stack(app, "FleetfedZoneReader", {
    synthesizer: synthesizer(),
    description:
      "fleetfed: a read-only Route 53 role in a further account, assumable by the fleetfed sync role",
  });
  const syncRoleArn = new CfnParameter(reader, "SyncRoleArn", {
    type: "String",
    allowedPattern: "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
    description: "the SyncRoleArn output of the FleetfedAws stack",
  });
  const readerZones = new CfnParameter(reader, "HostedZoneIds", { type: "CommaDelimitedList", default: "*" });
  const readerRole = new iam.CfnRole(reader, "ZoneReaderRole", {
    roleName: "fleetfed-zone-reader",
    description: "Assumed by the fleetfed sync role to read this account's hosted zones",
    maxSessionDuration: 3600,
    assumeRolePolicyDocument: {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: syncRoleArn.valueAsString }, Action: "sts:AssumeRole" },
      ],
    },
    policies: [
      {
        policyName: "route53-read",
        policyDocument: {
          Version: "2012-10-17",
          Statement: [...route53Read(readerZones.valueAsList, ROUTE53_READ)],
        },
      },
    ],
  });
  suppress(readerRole, [
    {
      id: "AwsSolutions-IAM5",
      reason:
        "route53:ListHostedZones supports no resource-level permissions; zones default to every zone of the account",
      appliesTo: ["Resource::*"],
    },
  ]);
  return app;
}

/**
 * Read-only Route 53: ListHostedZones (which has no resource-level permissions) and the record listing of
 * the given zone ids ("*" by default: every zone of the account).
 */
function route53Read(zoneIds: string[], actions: readonly string[]) {
  return [
    { Effect: "Allow", Action: "route53:ListHostedZones", Resource: "*" },
    {
      Effect: "Allow",
      Action: actions.length === 1 ? actions[0] : [...actions],
      Resource: Fn.split(
        ",",
        Fn.sub("arn:${AWS::Partition}:route53:::hostedzone/${Zones}", {
          Zones: Fn.join(",arn:aws:route53:::hostedzone/", zoneIds),
        }),
      ),
    },
  ];
}

/** Acknowledges a cdk-nag finding on one resource, with the reason on record (cdk-nag 3: CDK's Validations). */
function suppress(
  resource: iam.CfnRole,
  rules: { id: string; reason: string; appliesTo?: string[] }[],
): void {
  for (const rule of rules) {
    for (const finding of rule.appliesTo ?? [undefined]) {
      cdk.Validations.of(resource).acknowledge({
        id: finding ? `${rule.id}[${finding}]` : rule.id,
        reason: rule.reason,
      });
    }
  }
}
