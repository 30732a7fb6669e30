// Schema check of the Kubernetes manifests, offline:
//   1. every document is validated by kubernetes-models (JSON-schema validators generated from Kubernetes' OpenAPI
//      spec: required fields, types, enums, formats such as int32 ports and quantities);
//   2. every document is type-checked by TypeScript against the same package's types with `satisfies`, whose
//      excess-property check finds unknown (e.g. misspelt) fields, which the JSON schemas allow.
// usage: node check.mjs [file.yaml ...]   (default: every *.yaml in deploy/kubernetes but kustomization.yaml)
// Prints one line per problem and exits 1 if there is any; run by tests/Lime.Tests/KubernetesManifestTests.cs.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const manifests = path.resolve(here, "..");
const args = process.argv.slice(2);
const files = args.length > 0
  ? args.map((f) => path.resolve(f))
  : readdirSync(manifests).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort().map((f) => path.join(manifests, f));

const problems = [];
const documents = [];
for (const file of files) {
  const name = path.relative(process.cwd(), file);
  parseAllDocuments(readFileSync(file, "utf8")).forEach((doc, index) => {
    const where = `${name}#${index + 1}`;
    if (doc.errors.length > 0) {
      problems.push(`${where}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      return;
    }
    const data = doc.toJS();
    if (data === null || data === undefined) {
      return;
    }
    if (typeof data.apiVersion !== "string" || typeof data.kind !== "string") {
      problems.push(`${where}: no apiVersion and kind`);
      return;
    }
    documents.push({ where, data });
  });
}

function modelModule({ apiVersion, kind }) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return `kubernetes-models/${group ? group + "/" : ""}${version}/${kind}`;
}

// 1. JSON schemas.
for (const doc of documents) {
  let model;
  try {
    model = (await import(modelModule(doc.data)))[doc.data.kind];
  } catch {
    model = undefined;
  }
  if (typeof model !== "function") {
    problems.push(`${doc.where}: unknown apiVersion/kind ${doc.data.apiVersion} ${doc.data.kind}`);
    doc.unknown = true;
    continue;
  }
  try {
    new model(doc.data).validate();
  } catch (e) {
    problems.push(`${doc.where}: schema: ${e.message}`);
  }
}

// 2. Unknown fields, through TypeScript's excess-property check on the package's types.
const known = documents.filter((d) => !d.unknown);
const source = [];
const starts = [];
known.forEach((doc, i) => {
  source.push(`import type { I${doc.data.kind} as T${i} } from "${modelModule(doc.data)}";`);
});
known.forEach((doc, i) => {
  starts.push({ line: source.length, where: doc.where });
  source.push(...`export const m${i} = ${JSON.stringify(doc.data, null, 2)} satisfies T${i};`.split("\n"));
});
const text = source.join("\n");
const virtual = path.join(here, "__manifests__.ts");
const options = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: [],
};
const host = ts.createCompilerHost(options);
const getSourceFile = host.getSourceFile.bind(host);
host.getSourceFile = (fileName, language, ...rest) =>
  path.resolve(fileName) === virtual ? ts.createSourceFile(fileName, text, language) : getSourceFile(fileName, language, ...rest);
const fileExists = host.fileExists.bind(host);
host.fileExists = (fileName) => path.resolve(fileName) === virtual || fileExists(fileName);
const readFile = host.readFile.bind(host);
host.readFile = (fileName) => (path.resolve(fileName) === virtual ? text : readFile(fileName));
const program = ts.createProgram([virtual], options, host);
for (const d of ts.getPreEmitDiagnostics(program)) {
  const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
  if (d.file && path.resolve(d.file.fileName) === virtual && d.start !== undefined) {
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const doc = [...starts].reverse().find((s) => s.line <= line);
    const snippet = d.file.text.split("\n")[line].trim();
    problems.push(`${doc ? doc.where : "?"}: type: ${message} (at ${snippet})`);
  } else {
    problems.push(`check.mjs: TypeScript: ${message}`);
  }
}

for (const p of problems) {
  console.log(p);
}
console.log(`${documents.length} documents in ${files.length} files checked, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
