#!/usr/bin/env node
// The bin is this committed file rather than dist/cli.js itself: pnpm links workspace bins at
// install time, before anything is built, and warned for every package depending on this one
// that the bin's file did not exist. The program is the built dist/cli.js.
import '../dist/cli.js';
