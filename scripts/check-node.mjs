// Plain JavaScript on purpose: it must run on any Node.js and explain what is needed. The project's
// own TypeScript runs directly on Node.js type stripping (unflagged since 22.18 and 23.6).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18) || (major === 23 && minor < 6)) {
  console.error(
    `ecr-immutability-guard needs Node.js 22.18 or newer (the functions target Lambda nodejs24.x); this is ${process.version}.\n` +
      'With nvm: `nvm install` then `nvm use` (the repository has an .nvmrc).',
  );
  process.exit(1);
}
