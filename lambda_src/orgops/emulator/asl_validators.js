#!/usr/bin/env node
/*
 * Validate Amazon States Language definitions with AWS's own language service
 * (amazon-states-language-service, the validator behind AWS's editors) and asl-validator.
 *
 * One JSON string (a definition) per stdin line; one JSON list per stdout line, of
 * {"validator", "code", "message", "line"}: an empty list means both validators accept it.
 * Exit 2 if the input is unreadable. (orgops.emulator.definitions.NodeValidators runs it.)
 * Modules are resolved from ORGOPS_NODE_TOOLS: the folder `make` installs tools/asl's lock into.
 */
"use strict";
const path = require("path");
const readline = require("readline");
const { createRequire } = require("module");

const toolsDir = process.env.ORGOPS_NODE_TOOLS;
if (!toolsDir) {
  process.stderr.write("ORGOPS_NODE_TOOLS is not set: run `make node-tools` and point it at .node-tools\n");
  process.exit(2);
}
const load = createRequire(path.join(path.resolve(toolsDir), "package.json"));
const asl = load("amazon-states-language-service");
const { TextDocument } = load("vscode-languageserver-textdocument");
const aslValidator = load("asl-validator");

const service = asl.getLanguageService({});

async function languageService(text) {
  const document = TextDocument.create("file:///definition.asl.json", "json", 0, text);
  const diagnostics = await service.doValidation(document, service.parseJSONDocument(document));
  return diagnostics.map((d) => ({
    validator: "amazon-states-language-service",
    code: d.code === undefined ? "" : String(d.code),
    message: d.message,
    line: d.range.start.line + 1,
  }));
}

function schemaValidator(text) {
  let definition;
  try {
    definition = JSON.parse(text);
  } catch (error) {
    return [{ validator: "asl-validator", code: "INVALID_JSON", message: error.message, line: 0 }];
  }
  const { isValid, errors } = aslValidator(definition);
  if (isValid) return [];
  // Two shapes: its own checks ({"Error code", "Message"}) and JSON-schema errors (ajv's).
  return errors.map((e) => ({
    validator: "asl-validator",
    code: e["Error code"] || e.keyword || "SCHEMA",
    message: e.Message || `${e.instancePath || "/"} ${e.message || ""}`.trim(),
    line: 0,
  }));
}

async function validate(text) {
  return [...(await languageService(text)), ...schemaValidator(text)];
}

async function serve() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    process.stdout.write(JSON.stringify(await validate(JSON.parse(line))) + "\n");
  }
}

serve().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
