/**
 * The constructs' documentation as a user's editor shows it, read from the library's declarations with the
 * TypeScript checker: every prop has a description and, unless required, an `@default`; a prop that is a
 * setting of lib/settings.ts opens with the setting's description and states the setting's default; every
 * public attribute of a construct is documented; each construct has a class-level `@example`.
 */
import path from 'node:path';
import * as logs from 'aws-cdk-lib/aws-logs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { contextName, propName, type SettingRow, settingRows } from '../../lib/settings.ts';
import { projectRoot } from '../helpers/fixtures.ts';

const INFRA = path.join(projectRoot, 'infra');
const program = ts.createProgram([path.join(INFRA, 'index.ts')], {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
});
const checker = program.getTypeChecker();

/** The symbols infra/index.ts exports, by name, aliases resolved. */
function exported(): Map<string, ts.Symbol> {
  const source = program.getSourceFile(path.join(INFRA, 'index.ts'));
  const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error('infra/index.ts has no module symbol');
  return new Map(
    checker.getExportsOfModule(module).map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return [symbol.getName(), target];
    }),
  );
}

const EXPORTS = exported();

/** A member declared in infra/ (not one inherited from aws-cdk-lib), with its documentation. */
interface Member {
  readonly name: string;
  readonly optional: boolean;
  readonly description: string;
  readonly defaultText: string | undefined;
  readonly tags: readonly string[];
}

function membersOf(symbol: ts.Symbol): Member[] {
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  return checker.getPropertiesOfType(type).flatMap((property) => {
    const declaration = property.declarations?.[0];
    if (declaration === undefined || !declaration.getSourceFile().fileName.startsWith(INFRA)) return [];
    if (ts.getCombinedModifierFlags(declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected))
      return [];
    const tags = property.getJsDocTags(checker);
    const tag = tags.find((each) => each.name === 'default');
    return [
      {
        name: property.getName(),
        optional: (property.flags & ts.SymbolFlags.Optional) !== 0,
        description: normalise(ts.displayPartsToString(property.getDocumentationComment(checker))),
        defaultText: tag === undefined ? undefined : normalise(ts.displayPartsToString(tag.text)),
        tags: tags.map((each) => each.name),
      },
    ];
  });
}

/** White space collapsed; `*\/` written inside a comment read back as `*` `/`. */
function normalise(text: string): string {
  return text.replaceAll('*\\/', '*/').replace(/\s+/g, ' ').trim();
}

function symbolOf(name: string): ts.Symbol {
  const symbol = EXPORTS.get(name);
  if (symbol === undefined) throw new Error(`infra/index.ts does not export ${name}`);
  return symbol;
}

const PROPS = [...EXPORTS.keys()].filter(
  (name) => name.endsWith('Props') && (symbolOf(name).flags & ts.SymbolFlags.Interface) !== 0,
);
const CONSTRUCTS = [...EXPORTS.keys()].filter((name) => {
  const symbol = symbolOf(name);
  if (!(symbol.flags & ts.SymbolFlags.Class)) return false;
  const bases = checker.getBaseTypes(checker.getDeclaredTypeOfSymbol(symbol) as ts.InterfaceType);
  const chain = (types: readonly ts.BaseType[]): boolean =>
    types.some(
      (base) =>
        ['Construct', 'Stack'].includes(base.symbol.getName()) ||
        chain(checker.getBaseTypes(base as ts.InterfaceType)),
    );
  return chain(bases);
});

/** The construct prop a setting row is: its plain prop, or the context key the construct takes in a CDK type. */
function settingProp(row: SettingRow & { key: Parameters<typeof propName>[0] }): string | undefined {
  return propName(row.key) ?? contextName(row.key);
}

/** What a prop's `@default` must start with for a row; undefined when the row has no value by default. */
function expectedDefault(row: SettingRow & { key: string }): string | undefined {
  if (row.defaultText.startsWith('–')) return undefined;
  if (row.key === 'sweepSafetyMarginMs') return `Duration.seconds(${Number(row.defaultText) / 1000})`;
  if (row.key === 'logRetentionDays') {
    const name = Object.entries(logs.RetentionDays).find(([, days]) => days === Number(row.defaultText));
    return `RetentionDays.${name?.[0] ?? '?'}`;
  }
  const plain = row.prop !== false;
  return plain && (row.kind === 'text' || row.kind === 'choice') ? `'${row.defaultText}'` : row.defaultText;
}

describe('the documentation of the constructs', () => {
  it('reads the exported props and constructs (the check is live)', () => {
    expect(PROPS).toEqual(
      expect.arrayContaining([
        'EcrImmutabilityGuardProps',
        'EcrImmutabilityGuardBaseProps',
        'EcrImmutabilityGuardOrgProps',
        'EcrImmutabilityGuardMemberProps',
      ]),
    );
    expect(CONSTRUCTS).toEqual(
      expect.arrayContaining([
        'EcrImmutabilityGuard',
        'EcrImmutabilityGuardOrg',
        'EcrImmutabilityGuardMember',
      ]),
    );
    expect(membersOf(symbolOf('EcrImmutabilityGuardProps')).length).toBeGreaterThan(40);
  });

  it.each(PROPS)('describes every prop of %s, and the default of every optional one', (name) => {
    const undocumented = membersOf(symbolOf(name)).flatMap((member) => [
      ...(member.description === '' ? [`${member.name}: no description`] : []),
      ...(member.optional && member.defaultText === undefined ? [`${member.name}: no @default`] : []),
    ]);
    expect(undocumented).toEqual([]);
  });

  it.each(['EcrImmutabilityGuardProps', 'EcrImmutabilityGuardOrgProps'])(
    'opens each setting prop of %s with its setting’s description and states its default',
    (name) => {
      const members = new Map(membersOf(symbolOf(name)).map((member) => [member.name, member]));
      const mismatches = settingRows().flatMap((row) => {
        const prop = settingProp(row);
        const member = prop === undefined ? undefined : members.get(prop);
        if (prop === undefined || member === undefined) return [];
        const wanted = normalise(row.description);
        const problems: string[] = [];
        if (!member.description.toLowerCase().startsWith(wanted.toLowerCase()))
          problems.push(`${prop}: the description does not open with "${wanted}"`);
        const defaultText = expectedDefault(row);
        if (defaultText !== undefined && !member.defaultText?.startsWith(defaultText))
          problems.push(
            `${prop}: @default ${member.defaultText ?? '(none)'}, the setting's default is ${defaultText}`,
          );
        return problems;
      });
      expect(mismatches).toEqual([]);
    },
  );

  it('has a prop for every setting the single-account construct takes, and every context key the app reads', () => {
    const props = new Set(membersOf(symbolOf('EcrImmutabilityGuardProps')).map((member) => member.name));
    const missing = settingRows().flatMap((row) => {
      const prop = propName(row.key);
      const context = contextName(row.key);
      return [
        ...(prop !== undefined && !props.has(prop) ? [`${row.key}: no prop ${prop}`] : []),
        ...(context !== undefined && !props.has(prop ?? context)
          ? [`${row.key}: -c ${context} has no prop`]
          : []),
      ];
    });
    expect(missing).toEqual([]);
  });

  it.each(CONSTRUCTS)('documents every public attribute of %s', (name) => {
    const undocumented = membersOf(symbolOf(name))
      .filter((member) => member.description === '')
      .map((member) => member.name);
    expect(undocumented).toEqual([]);
  });

  it.each(['EcrImmutabilityGuard', 'EcrImmutabilityGuardOrg', 'EcrImmutabilityGuardMember'])(
    'shows how to use %s in a class-level @example',
    (name) => {
      const tags = symbolOf(name).getJsDocTags(checker);
      const example = tags.find((tag) => tag.name === 'example');
      expect(example, `${name} has no @example`).toBeDefined();
      expect(ts.displayPartsToString(example?.text)).toContain(`new ${name}(`);
    },
  );
});
