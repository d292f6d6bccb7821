// Copies the prebuilt bpmn-js viewer out of node_modules into the engine app's static files, so that
// Django serves it itself (no CDN) and `make run` needs no npm: the copied files are committed.
//
//   cd frontend && npm ci && npm run build
//
// The destination folder is emptied first: it only ever holds what this script writes.
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, 'node_modules');
const dest = path.resolve(here, '..', 'onestop', 'engine', 'static', 'engine', 'vendor', 'bpmn-js');

// [source inside node_modules/bpmn-js, destination inside vendor/bpmn-js]
// The navigated viewer (pan and zoom, no editing) is a UMD bundle whose global is `BpmnJS`. It uses no
// icon font (only the modeler's palette and context pad do), so dist/assets/bpmn-font is not copied.
const FILES = [
  ['dist/bpmn-navigated-viewer.production.min.js', 'bpmn-navigated-viewer.production.min.js'],
  ['dist/assets/diagram-js.css', 'assets/diagram-js.css'],
  ['dist/assets/bpmn-js.css', 'assets/bpmn-js.css'],
  ['LICENSE', 'LICENSE'],
];

function fail(message) {
  console.error(`copy-assets: ${message}`);
  process.exit(1);
}

async function exists(file) {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function packageJson(dir) {
  return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
}

// The installed packages (package-lock.json): bpmn-js and its run-time dependencies, which the bundle may contain.
async function installedPackages() {
  const lock = JSON.parse(await readFile(path.join(here, 'package-lock.json'), 'utf8'));
  const found = [];
  for (const [key, entry] of Object.entries(lock.packages || {})) {
    if (!key || entry.dev) continue;
    const dir = path.join(here, key);
    found.push({ name: key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length), dir, pkg: await packageJson(dir) });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

async function licenceText(dir) {
  const names = (await readdir(dir)).filter((n) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(n));
  if (!names.length) return null;
  return (await readFile(path.join(dir, names[0]), 'utf8')).trim();
}

async function main() {
  const root = path.join(modules, 'bpmn-js');
  if (!(await exists(path.join(root, 'package.json')))) {
    fail('node_modules/bpmn-js is missing: run `npm ci` in frontend/ first.');
  }
  const bpmnJs = await packageJson(root);

  await rm(dest, { recursive: true, force: true });
  let total = 0;
  for (const [from, to] of FILES) {
    const source = path.join(root, from);
    if (!(await exists(source))) fail(`bpmn-js ${bpmnJs.version} has no ${from}`);
    const target = path.join(dest, to);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(source, target);
    const { size } = await stat(target);
    total += size;
    console.log(`${String(size).padStart(9)}  ${path.relative(path.resolve(here, '..'), target)}`);
  }

  // Licences of everything bpmn-js depends on at run time (MIT, ISC, Apache-2.0), bundled into the viewer.
  const installed = await installedPackages();
  const sections = [];
  for (const { name, dir, pkg } of installed) {
    if (name === 'bpmn-js') continue;
    const text = await licenceText(dir);
    if (!text) fail(`${name} ${pkg.version} ships no licence file`);
    sections.push(`${name} ${pkg.version} (${pkg.license})\n${'-'.repeat(60)}\n${text}\n`);
  }
  const notices = [
    `Third-party software bundled in bpmn-navigated-viewer.production.min.js (bpmn-js ${bpmnJs.version}).`,
    'bpmn-js itself: see LICENSE beside this file.',
    '',
    sections.join('\n'),
  ].join('\n');
  const noticesFile = path.join(dest, 'THIRD-PARTY-LICENSES.txt');
  await writeFile(noticesFile, notices);

  const readme = [
    `bpmn-js ${bpmnJs.version}: copied from the npm package by frontend/copy-assets.mjs (\`npm run build\`).`,
    'Do not edit these files: change frontend/package.json and run the build again. See docs/diagrams.md.',
    'The bpmn.io watermark drawn by the viewer must stay visible (LICENSE).',
    '',
  ].join('\n');
  await writeFile(path.join(dest, 'README.txt'), readme);
  for (const extra of [noticesFile, path.join(dest, 'README.txt')]) {
    const { size } = await stat(extra);
    total += size;
    console.log(`${String(size).padStart(9)}  ${path.relative(path.resolve(here, '..'), extra)}`);
  }
  console.log(`${String(total).padStart(9)}  total (bpmn-js ${bpmnJs.version}, ${installed.length - 1} dependencies)`);
}

main().catch((error) => fail(error.stack || String(error)));
