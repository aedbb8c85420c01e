#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * A strict reader of folded ("collapsed") stacks, written from the format's
 * definition (flamegraph.pl, speedscope's and Pyroscope's importers; see
 * research/formats.md §2), not from cprof's writer:
 *
 *   - one stack per line, each line ended by "\n" (no "\r");
 *   - frames joined by ";", root first, none empty;
 *   - then exactly one space and a positive decimal integer, no sign, no
 *     leading zero, no fraction;
 *   - cprof's own promise on top: lines sorted (byte order) and each stack
 *     on one line only.
 *
 *   node parse-folded.js FILE    prints "lines N samples M frames F", or one
 *                                "parse-folded: FILE:LINE: why" line and
 *                                exits 1
 *
 * As a module: parseFolded(text, what) returns { stacks: Map(stack ->
 * count), lines, total } and throws an Error naming the line otherwise.
 */
'use strict';

const fs = require('fs');

function parseFolded(text, what) {
	const stacks = new Map();
	let total = 0, prev = null, n = 0;

	if (text.length && !text.endsWith('\n'))
		throw new Error(`${what}: the last line has no newline`);
	const lines = text.length ? text.slice(0, -1).split('\n') : [];
	for (const line of lines) {
		n++;
		const where = `${what}:${n}`;
		if (line.includes('\r'))
			throw new Error(`${where}: carriage return`);
		const m = /^(.*[^ ]) ([1-9][0-9]*)$/.exec(line);
		if (!m)
			throw new Error(`${where}: not "STACK COUNT" with one space and a positive integer: '${line}'`);
		const stack = m[1], count = Number(m[2]);
		if (!Number.isSafeInteger(count))
			throw new Error(`${where}: count ${m[2]} is too large`);
		const frames = stack.split(';');
		if (frames.some(f => f.length === 0))
			throw new Error(`${where}: an empty frame in '${stack}'`);
		if (frames.some(f => /^\s|\s$/.test(f)))
			throw new Error(`${where}: a frame with leading or trailing blanks in '${stack}'`);
		if (stacks.has(stack))
			throw new Error(`${where}: stack repeated: '${stack}'`);
		const cur = Buffer.from(stack, 'utf8');
		if (prev && Buffer.compare(prev, cur) > 0)
			throw new Error(`${where}: not sorted: '${stack}' after '${prev.toString('utf8')}'`);
		prev = cur;
		stacks.set(stack, count);
		total += count;
	}
	return { stacks, lines: n, total };
}

module.exports = { parseFolded };

if (require.main === module) {
	const file = process.argv[2];
	if (!file) {
		console.error('usage: parse-folded.js FILE');
		process.exit(2);
	}
	try {
		const r = parseFolded(fs.readFileSync(file, 'utf8'), file);
		const frames = new Set();
		for (const s of r.stacks.keys())
			for (const f of s.split(';'))
				frames.add(f);
		console.log(`lines ${r.lines} samples ${r.total} frames ${frames.size}`);
	} catch (e) {
		console.error(`parse-folded: ${e.message}`);
		process.exit(1);
	}
}
