// Builds the Postman collection and environment from the OpenAPI document (never by hand):
//   node tools/postman/build.js <openapi.json> <out-dir>
// openapi-to-postmanv2 makes a folder per tag with a request per operation (query parameters
// present but disabled, placeholder bodies, the 2xx response as example); the collection signs
// every request with the environment's bearer `token`; the scripted "Flows" folder (flows.js)
// comes first. The output is deterministic (no generated ids), so CI can check it is current.
'use strict';
const fs = require('fs');
const path = require('path');
const converter = require('openapi-to-postmanv2');
const flows = require('./flows');

const [source, outDir] = process.argv.slice(2);
if (!source || !outDir) {
  console.error('usage: node build.js <openapi.json> <out-dir>');
  process.exit(2);
}

const DEFAULTS = {
  // The values of docker-compose.yml and the README's quick start.
  baseUrl: 'http://127.0.0.1:8080/core/v2',
  token: '5ebc03d6-8b2b-44ad-bf65-72d4f1491dda',
  clientId: '5c7965f285344165b003ce1a3202e589',
  clientSecret: '5033909114fe442cbbcb83b674dbf90c',
};

// Generated ids are random: dropped (Postman makes its own on import).
function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'id' || k === '_postman_id') continue;
      out[k] = strip(v);
    }
    return out;
  }
  return node;
}

// A free-form body (the OAuth forms) is faked with a random number of `key_N` fields: left empty.
function unfake(node) {
  if (Array.isArray(node)) return node.filter((e) => !(e && /^key_\d+$/.test(e.key))).map(unfake);
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, unfake(v)]));
  }
  return node;
}

// Requests keep their success example only; errors are described in the document.
function trim(item) {
  if (item.item) return { ...item, item: item.item.map(trim) };
  const response = (item.response || []).filter((r) => r.code >= 200 && r.code < 300).slice(0, 1);
  // Several paths share a summary (`/invoices` and `/billing/invoices`): the path tells them apart.
  const name = `${item.name} · /${item.request.url.path.join('/')}`;
  return { ...item, name, response };
}

const options = {
  folderStrategy: 'Tags',
  requestParametersResolution: 'Schema',
  exampleParametersResolution: 'Schema',
  enableOptionalParameters: false,
  alwaysInheritAuthentication: true,
  includeAuthInfoInExample: false,
  stackLimit: 4,
};

converter.convert({ type: 'string', data: fs.readFileSync(source, 'utf8') }, options, (err, result) => {
  if (err || !result.result) {
    console.error('openapi-to-postmanv2:', err || result.reason);
    process.exit(1);
  }
  const generated = unfake(strip(result.output[0].data));
  const collection = {
    info: {
      name: 'carrierx-core (CarrierX Core API v2)',
      description:
        'Generated from /core/v2/openapi.json by tools/postman/generate.sh. Every request signs with the ' +
        'environment\'s bearer `token`; the Flows folder runs a whole scenario with assertions.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{token}}', type: 'string' }] },
    item: [flows, ...generated.item.map(trim)],
    variable: [{ key: 'baseUrl', value: DEFAULTS.baseUrl, type: 'string' }],
  };
  const environment = {
    name: 'carrierx-core local',
    values: Object.entries(DEFAULTS).map(([key, value]) => ({
      key,
      value,
      type: key === 'token' || key === 'clientSecret' ? 'secret' : 'default',
      enabled: true,
    })),
    _postman_variable_scope: 'environment',
  };
  fs.mkdirSync(outDir, { recursive: true });
  const write = (name, doc) => fs.writeFileSync(path.join(outDir, name), JSON.stringify(doc, null, 2) + '\n');
  write('carrierx-core.postman_collection.json', collection);
  write('carrierx-core.postman_environment.json', environment);
  const requests = generated.item.reduce((n, f) => n + (f.item ? f.item.length : 1), 0);
  console.log(`postman: ${requests} requests in ${generated.item.length} folders, ${flows.item.length} flow steps`);
});
