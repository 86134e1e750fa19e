'use strict';
// Wix's own JavaScript SDK (@wix/sdk + @wix/auto_sdk_loyalty_imports, pinned in package.json) run
// against the Wix emulator. Plain CommonJS, no build step. Driven by
// tests/integration/test_wix_sdk_contract.py, which starts the emulator on 127.0.0.1, passes its
// origin and credentials in WIX_SDK_CHECK (JSON) and the folder holding node_modules in WIX_SDK_DIR,
// and checks the one JSON object this prints against the emulator's own records.
//
// Pointing the SDK at the emulator: @wix/sdk builds every URL as https://www.wixapis.com/... (REST
// modules from `host.apiBaseUrl`, AppStrategy's token call hard-coded) and calls the global fetch.
// This script replaces the global fetch with one that sends https://www.wixapis.com/<path> to
// <emulator origin>/<path> and refuses any other https host, so nothing leaves the machine; the
// SDK's own request building, auth headers, response renaming and error handling run unchanged.

const path = require('node:path');
const { createRequire } = require('node:module');

const sdkRequire = createRequire(path.join(process.env.WIX_SDK_DIR, 'package.json'));
const { createClient, ApiKeyStrategy, AppStrategy } = sdkRequire('@wix/sdk');
const loyaltyImports = sdkRequire('@wix/auto_sdk_loyalty_imports');
const sdkVersions = {
  '@wix/sdk': sdkRequire('@wix/sdk/package.json').version,
  '@wix/auto_sdk_loyalty_imports': sdkRequire('@wix/auto_sdk_loyalty_imports/package.json').version,
};

const config = JSON.parse(process.env.WIX_SDK_CHECK);
const WIX_ORIGIN = 'https://www.wixapis.com';
const emulatorFetch = globalThis.fetch;
const calls = []; // every request the SDK made: {auth, method, path, status, requestId, body}
let currentAuth = null;

globalThis.fetch = async (input, init = {}) => {
  const asked = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if (asked.origin !== WIX_ORIGIN) {
    throw new Error(`the SDK asked for ${asked.origin}: only ${WIX_ORIGIN} is sent to the emulator`);
  }
  const target = new URL(asked.pathname + asked.search, config.origin);
  const response = await emulatorFetch(target, init);
  let body = null;
  if (typeof init.body === 'string') {
    try {
      body = JSON.parse(init.body);
    } catch {
      body = init.body;
    }
  }
  calls.push({
    auth: currentAuth,
    method: init.method || 'GET',
    path: asked.pathname,
    query: asked.search,
    status: response.status,
    requestId: response.headers.get('x-wix-request-id'),
    body,
  });
  return response;
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function errorOf(err) {
  // What the SDK's error carries: its message, the HTTP status and Wix's details and request id.
  return {
    message: String(err && err.message),
    status: err?.details?.httpStatus ?? err?.httpStatus ?? err?.response?.status ?? null,
    requestId: err?.requestId ?? err?.details?.requestId ?? null,
    details: err?.details ?? null,
  };
}

async function attempt(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: errorOf(err) };
  }
}

async function waitFor(client, id, statuses) {
  const giveUpAt = Date.now() + 10000;
  for (;;) {
    const current = await client.imports.getLoyaltyImport(id);
    if (statuses.includes(current.status)) return current;
    if (Date.now() > giveUpAt) throw new Error(`import ${id} still ${current.status}`);
    await sleep(20);
  }
}

async function upload(uploadUrl, fileName, content) {
  // The upload URL is not a Wix API call (no SDK method, no Authorization): plain fetch to it.
  const url = new URL(uploadUrl);
  url.searchParams.set('filename', fileName);
  const response = await emulatorFetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': 'text/csv' },
    body: content,
  });
  if (response.status !== 200) throw new Error(`upload answered ${response.status}`);
}

// All six methods, in the order of a real import.
async function fullFlow(client, fileName) {
  const steps = {};
  const content = Buffer.from(config.csv, 'utf8');
  const fileUrl = await client.imports.createLoyaltyImportFileUrl();
  steps.createLoyaltyImportFileUrl = fileUrl;
  await upload(fileUrl.uploadUrl, fileName, content);
  const created = await client.imports.createLoyaltyImport(fileUrl.filePath, {
    fileName,
    fileSize: content.length,
  });
  steps.createLoyaltyImport = created.loyaltyImport;
  const id = created.loyaltyImport._id;
  steps.getLoyaltyImport = await waitFor(client, id, ['PARSED', 'FAILED']);
  const executed = await client.imports.executeLoyaltyImport(id, {
    headerMappingInfo: {
      headerMappings: [
        { columnName: 'EMAIL', columnIndex: config.emailColumn },
        { columnName: 'POINTS', columnIndex: config.pointsColumn },
      ],
    },
  });
  steps.executeLoyaltyImport = executed.loyaltyImport;
  steps.imported = await waitFor(client, id, ['IMPORTED', 'FAILED']);
  const errorFile = await client.imports.getErrorFileDownloadUrl(id);
  steps.getErrorFileDownloadUrl = errorFile;
  steps.errorFile = await (await emulatorFetch(errorFile.url)).text();
  const page = await client.imports.queryLoyaltyImports().eq('status', 'IMPORTED').find();
  steps.queryLoyaltyImports = page.items.map((item) => item._id);
  steps.missing = await attempt(() => client.imports.getLoyaltyImport('00000000-0000-0000-0000-000000000000'));
  return { id, filePath: fileUrl.filePath, steps };
}

const ids = (result) => result.items.map((item) => item._id);

// The query builder's operators, sorting and cursor paging; each names what it asked.
async function queries(client, createdDates) {
  const q = () => client.imports.queryLoyaltyImports();
  const pivot = new Date(createdDates[Math.floor(createdDates.length / 2)]);
  const cases = {
    default: () => q().find(),
    eq: () => q().eq('status', 'IMPORTED').find(),
    ne: () => q().ne('status', 'IMPORTED').find(),
    in: () => q().in('status', ['PARSED', 'IMPORTED']).find(),
    exists: () => q().exists('status', true).find(),
    hasSome: () => q().hasSome('status', ['PARSED']).find(),
    gt: () => q().gt('_createdDate', pivot).find(),
    ge: () => q().ge('_createdDate', pivot).find(),
    lt: () => q().lt('_createdDate', pivot).find(),
    le: () => q().le('_createdDate', pivot).find(),
    and: () => q().eq('status', 'PARSED').ge('_createdDate', pivot).find(),
    ascending: () => q().ascending('_createdDate').find(),
    descending: () => q().descending('_createdDate').find(),
    statusThenNewest: () => q().ascending('status').descending('_createdDate').find(),
    fiveSorts: () =>
      q().ascending('status').descending('_updatedDate').ascending('_createdDate')
        .descending('status').ascending('_updatedDate').find(),
    sixSorts: () =>
      q().ascending('status').descending('_updatedDate').ascending('_createdDate')
        .descending('status').ascending('_updatedDate').descending('_createdDate').find(),
  };
  const out = {};
  for (const [name, run] of Object.entries(cases)) {
    const before = calls.length;
    const result = await attempt(run);
    const sent = calls.slice(before).map((call) => call.body);
    out[name] = result.ok ? { ok: true, ids: ids(result.value), sent } : { ok: false, error: result.error, sent };
  }
  // Cursor paging: pages of 2, forward to the end with next(), then one step back with prev().
  const before = calls.length;
  const pages = [];
  let page = await q().ascending('_createdDate').limit(2).find();
  pages.push({ ids: ids(page), hasNext: page.hasNext(), hasPrev: page.hasPrev() });
  while (page.hasNext()) {
    page = await page.next();
    pages.push({ ids: ids(page), hasNext: page.hasNext(), hasPrev: page.hasPrev() });
  }
  let back = null;
  if (page.hasPrev()) {
    const previous = await page.prev();
    back = ids(previous);
  }
  out.paging = { pages, back, sent: calls.slice(before).map((call) => call.body) };
  return out;
}

function clientFor(kind) {
  const auth =
    kind === 'apiKey'
      ? ApiKeyStrategy({ apiKey: config.apiKey, siteId: config.siteId })
      : AppStrategy({ appId: config.appId, appSecret: config.appSecret, instanceId: config.instanceId });
  return createClient({ auth, modules: { imports: loyaltyImports } });
}

async function main() {
  const result = { sdkVersions, flows: {}, extraImports: [], queries: null, calls };
  for (const kind of ['apiKey', 'app']) {
    currentAuth = kind;
    result.flows[kind] = await fullFlow(clientFor(kind), `sdk-${kind}.csv`);
  }
  // A few imports left PARSED, so that the status filters have two populations to tell apart.
  currentAuth = 'apiKey';
  const client = clientFor('apiKey');
  const content = Buffer.from(config.csv, 'utf8');
  for (let n = 0; n < config.extraImports; n += 1) {
    const fileUrl = await client.imports.createLoyaltyImportFileUrl();
    await upload(fileUrl.uploadUrl, `extra-${n}.csv`, content);
    const created = await client.imports.createLoyaltyImport(fileUrl.filePath, {
      fileName: `extra-${n}.csv`,
      fileSize: content.length,
    });
    await waitFor(client, created.loyaltyImport._id, ['PARSED', 'FAILED']);
    result.extraImports.push(created.loyaltyImport._id);
    await sleep(config.gapMs); // distinct createdDates, so that date filters have a pivot
  }
  const all = await client.imports.queryLoyaltyImports().ascending('_createdDate').limit(100).find();
  result.queries = await queries(client, all.items.map((item) => item._createdDate));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ fatal: errorOf(err), stack: String(err && err.stack), calls })}\n`);
  process.exitCode = 1;
});
