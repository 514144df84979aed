// A local STS emulator for the real SDK's assumed-role credentials (AWS_ENDPOINT_URL_STS): AssumeRole over
// the awsQuery protocol, answering each known role with its own access key, and AccessDenied for any
// other. It listens on 127.0.0.1 only and closes itself after ten minutes at the latest.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { listenLocal } from "./server.ts";

const NS = "https://sts.amazonaws.com/doc/2011-06-15/";

function form(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => resolve(new URLSearchParams(text)));
  });
}

export interface StsEmulator {
  url: string;
  /** Role ARNs assumed, in order. */
  assumed: string[];
  close(): Promise<void>;
}

/** `roles`: role ARN → the access key id the assumed credentials carry. */
export async function startStsEmulator(roles: Readonly<Record<string, string>>): Promise<StsEmulator> {
  const assumed: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() });
      res.end(body);
    };
    const q = await form(req);
    const signed = /Credential=[A-Z0-9]+\//.test(req.headers.authorization ?? "");
    if (
      req.method !== "POST" ||
      q.get("Action") !== "AssumeRole" ||
      q.get("Version") !== "2011-06-15" ||
      !signed
    ) {
      return send(
        400,
        `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>emulator implements signed AssumeRole only</Message></Error></ErrorResponse>`,
      );
    }
    const arn = q.get("RoleArn") ?? "";
    const key = roles[arn];
    if (!key || !q.get("RoleSessionName")) {
      return send(
        403,
        `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on resource: ${arn}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    }
    assumed.push(arn);
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    send(
      200,
      `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult><AssumedRoleUser><Arn>${arn.replace(":role/", ":assumed-role/")}/${q.get("RoleSessionName")}</Arn><AssumedRoleId>AROAEMULATOR:${q.get("RoleSessionName")}</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>${key}</AccessKeyId><SecretAccessKey>emulated-secret</SecretAccessKey><SessionToken>emulated-session-token</SessionToken><Expiration>${expiration}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  });
  const { url, close } = await listenLocal(server);
  return { url, assumed, close };
}
