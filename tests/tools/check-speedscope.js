#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * Check a speedscope JSON file written by cprof against speedscope itself,
 * and optionally the folded stacks of the same recording against it.
 *
 *   node check-speedscope.js --npm DIR [--rate HZ] [--folded FILE
 *        [--thread-roots]] FILE.json
 *
 * DIR is a node_modules directory holding the speedscope and ajv packages
 * (scripts/install-deps.sh test puts them in $B/npm/node_modules).
 *
 * Checks, each failing with one "check-speedscope: ..." line on stderr and
 * exit status 1:
 *   - the file validates against the official schema shipped in the
 *     speedscope package (dist/release/file-format-schema.json), with ajv;
 *   - every profile is "sampled" in nanoseconds, named Thread TID "NAME"
 *     (each TID once, in increasing order), with as many weights as
 *     samples, every weight one sampling period (--rate), and
 *     endValue - startValue the sum of the weights; every stack is
 *     non-empty and its frame indices are in range; frames are unique,
 *     lines positive integers; activeProfileIndex is in range;
 *   - speedscope's own importer (from the bundle in the package) reads the
 *     file, with the same profiles and total weights;
 *   - with --folded: the folded file parses strictly (parse-folded.js),
 *     speedscope's importer for collapsed stacks reads exactly the same
 *     stacks and counts from it, and those are the JSON's samples, stack by
 *     stack (inlined frames: " (inlined)" in JSON, "_[i]" in folded), with a
 *     "[thread TID NAME]" root frame per thread with --thread-roots.
 *
 * On success it lists what it read on stdout, fields separated by tabs:
 *   profile TID NAME NSAMPLES
 *   stack   TID COUNT ROOT;...;LEAF      (per thread and distinct stack)
 *   frame   NAME FILE LINE               (FILE and LINE empty if absent)
 *   folded  LINES SAMPLES                (with --folded)
 *   note    TEXT                         (e.g. the importer was not reachable)
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { parseFolded } = require('./parse-folded.js');

function die(msg) {
	process.stderr.write(`check-speedscope: ${msg}\n`);
	process.exit(1);
}

function usage() {
	process.stderr.write('usage: check-speedscope.js --npm DIR [--rate HZ] [--folded FILE [--thread-roots]] FILE.json\n');
	process.exit(2);
}

const args = { rate: 0, folded: null, threadRoots: false, npm: null, file: null };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '--npm') args.npm = process.argv[++i];
	else if (a === '--rate') args.rate = Number(process.argv[++i]);
	else if (a === '--folded') args.folded = process.argv[++i];
	else if (a === '--thread-roots') args.threadRoots = true;
	else if (a.startsWith('-') || args.file) usage();
	else args.file = a;
}
if (!args.npm || !args.file) usage();

const out = [];
const emit = (...f) => out.push(f.join('\t'));

// ---- the official schema ---------------------------------------------------

const ssdir = path.join(args.npm, 'speedscope');
const schemaPath = path.join(ssdir, 'dist', 'release', 'file-format-schema.json');
if (!fs.existsSync(schemaPath)) die(`no schema at ${schemaPath}`);
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const Ajv = require(path.join(args.npm, 'ajv'));
const ajv = new (Ajv.default || Ajv)({ allErrors: true });
// ajv knows draft-07 (what speedscope ships) by itself; register draft-06
// too, which older releases used.
if (/draft-06/.test(schema.$schema || ''))
	ajv.addMetaSchema(require(path.join(args.npm, 'ajv', 'dist', 'refs', 'json-schema-draft-06.json')));
const validate = ajv.compile(schema);

const text = fs.readFileSync(args.file, 'utf8');
let doc;
try {
	doc = JSON.parse(text);
} catch (e) {
	die(`${args.file}: not JSON: ${e.message}`);
}
if (!validate(doc))
	die(`${args.file} does not validate against ${schemaPath}: ` +
	    validate.errors.slice(0, 5).map(e => `${e.instancePath || '/'} ${e.message}`).join('; '));

// ---- structure ----------------------------------------------------------------

const frames = doc.shared.frames;
const period = args.rate ? Math.floor(1e9 / args.rate) : 0;
const seenFrames = new Set();
frames.forEach((f, i) => {
	if (!f.name) die(`frame ${i} has an empty name`);
	if ('line' in f && !(Number.isInteger(f.line) && f.line > 0))
		die(`frame ${i} (${f.name}): line ${f.line} is not a positive integer`);
	const key = JSON.stringify([f.name, f.file, f.line, f.col]);
	if (seenFrames.has(key)) die(`frame ${i} (${f.name}) appears twice in shared.frames`);
	seenFrames.add(key);
	emit('frame', f.name, f.file || '', f.line || '');
});
if (!doc.profiles.length) die('no profiles');
if ('activeProfileIndex' in doc &&
    !(Number.isInteger(doc.activeProfileIndex) && doc.activeProfileIndex < doc.profiles.length))
	die(`activeProfileIndex ${doc.activeProfileIndex} is not a profile`);

// JSON frame name -> folded frame name
const foldedName = n => n.endsWith(' (inlined)') ? n.slice(0, -' (inlined)'.length) + '_[i]' : n;
const fromJson = new Map(); // folded-style stack -> samples
const profiles = [];
let lastTid = -1;
for (const p of doc.profiles) {
	if (p.type !== 'sampled') die(`profile '${p.name}' is ${p.type}, not sampled`);
	const m = /^Thread ([1-9][0-9]*) "(.*)"$/.exec(p.name);
	if (!m) die(`profile name '${p.name}' is not Thread TID "NAME"`);
	const tid = Number(m[1]), tname = m[2];
	if (tid <= lastTid) die(`profile '${p.name}' is out of order or repeated (thread ids must increase)`);
	lastTid = tid;
	if (p.unit !== 'nanoseconds') die(`profile '${p.name}': unit ${p.unit}`);
	if (p.samples.length !== p.weights.length)
		die(`profile '${p.name}': ${p.samples.length} samples but ${p.weights.length} weights`);
	if (!p.samples.length) die(`profile '${p.name}' has no samples`);
	let sum = 0;
	for (const w of p.weights) {
		if (period ? w !== period : !(w > 0)) die(`profile '${p.name}': weight ${w}, expected ${period || 'positive'}`);
		sum += w;
	}
	if (p.endValue - p.startValue !== sum)
		die(`profile '${p.name}': endValue - startValue = ${p.endValue - p.startValue}, the weights sum to ${sum}`);
	const stacks = new Map();
	for (const s of p.samples) {
		if (!s.length) die(`profile '${p.name}': an empty stack`);
		for (const k of s)
			if (!Number.isInteger(k) || k < 0 || k >= frames.length)
				die(`profile '${p.name}': frame index ${k} out of range`);
		const names = s.map(k => foldedName(frames[k].name));
		const key = names.join(';');
		stacks.set(key, (stacks.get(key) || 0) + 1);
		const fkey = (args.threadRoots ? [tname ? `[thread ${tid} ${tname}]` : `[thread ${tid}]`] : [])
			.concat(names).join(';');
		fromJson.set(fkey, (fromJson.get(fkey) || 0) + 1);
	}
	profiles.push({ name: p.name, total: sum });
	emit('profile', tid, tname, p.samples.length);
	for (const [k, n] of [...stacks].sort((a, b) => b[1] - a[1]))
		emit('stack', tid, n, k);
}

// ---- speedscope's importer ------------------------------------------------------

// The importers live in the web app's bundle: evaluate it with just enough
// of a browser for them (the UI then fails for want of a DOM, which is fine)
// and keep a handle on importProfileGroupFromText(fileName, text).
function loadImporter() {
	const dir = path.join(ssdir, 'dist', 'release');
	const bundle = fs.readdirSync(dir).find(f => /^speedscope-.*\.js$/.test(f));
	if (!bundle) return null;
	let src = fs.readFileSync(path.join(dir, bundle), 'utf8');
	const m = src.match(/async function ([\w$]+)\(([\w$]+),([\w$]+)\)\{return\(await [\w$]+\)\.importProfileGroupFromText\(\2,\3\)\}/);
	if (!m) return null;
	src = src.replace(m[0], m[0] + 'globalThis.__cprofImportText=' + m[1] + ';');
	Object.assign(globalThis, {
		window: globalThis, addEventListener() {},
		location: { hash: '', search: '', href: 'file:///' }, navigator: { userAgent: 'node' },
	});
	const log = console.log;
	console.log = () => {}; // "Importing as ..."
	try {
		(0, eval)(src);
	} catch (e) {
		/* the UI needs a DOM; the importers do not */
	}
	return globalThis.__cprofImportText ? { fn: globalThis.__cprofImportText, log } : null;
}

function sameMaps(a, b, what) {
	for (const [k, n] of a)
		if (b.get(k) !== n) die(`${what}: stack '${k}': ${n} vs ${b.get(k) || 0}`);
	for (const [k, n] of b)
		if (!a.has(k)) die(`${what}: stack '${k}': 0 vs ${n}`);
}

(async () => {
	const imp = loadImporter();
	if (!imp) {
		emit('note', 'speedscope importer not reachable in the bundle: strict checks only');
	} else {
		const g = await imp.fn(path.basename(args.file), text);
		if (!g) die('speedscope did not import the JSON file');
		if (g.profiles.length !== profiles.length)
			die(`speedscope imported ${g.profiles.length} profiles, the file has ${profiles.length}`);
		g.profiles.forEach((p, i) => {
			if (p.getName() !== profiles[i].name || p.getTotalWeight() !== profiles[i].total)
				die(`speedscope imported profile ${i} as '${p.getName()}' weighing ${p.getTotalWeight()}, ` +
				    `the file has '${profiles[i].name}' weighing ${profiles[i].total}`);
		});
	}
	if (args.folded) {
		const ftext = fs.readFileSync(args.folded, 'utf8');
		let strict;
		try {
			strict = parseFolded(ftext, args.folded);
		} catch (e) {
			die(e.message);
		}
		if (imp) {
			// The file name picks speedscope's collapsed-stack importer.
			const g = await imp.fn('cprof.collapsedstack.txt', ftext);
			if (!g || g.profiles.length !== 1) die('speedscope did not import the folded file');
			const p = g.profiles[0];
			const seen = new Map();
			const walk = (node, trail) => {
				for (const c of node.children) {
					const t = trail.concat(c.frame.name);
					if (c.getSelfWeight()) seen.set(t.join(';'), c.getSelfWeight());
					walk(c, t);
				}
			};
			walk(p.getGroupedCalltreeRoot(), []);
			sameMaps(strict.stacks, seen, 'folded: strict parser vs speedscope');
			if (p.getTotalWeight() !== strict.total)
				die(`folded: speedscope reads ${p.getTotalWeight()} samples, the counts sum to ${strict.total}`);
		}
		sameMaps(strict.stacks, fromJson, 'folded vs speedscope JSON');
		emit('folded', strict.lines, strict.total);
	}
	process.stdout.write(out.join('\n') + '\n');
})().catch(e => die(`${e && e.stack || e}`));
