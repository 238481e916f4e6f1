// A JSON Schema for dashboards, derived from the Grafana Foundation SDK's own type declarations.
// The SDK ships no JSON schema, but its .d.ts files are generated from Grafana's schema (cog), so
// turning their interfaces, enums and unions into JSON Schema gives a check of the committed JSON
// against exactly the model the SDK describes: unknown keys, wrong types, missing required fields
// and out-of-enum values are errors. Panel `options` and `fieldConfig.defaults.custom` (typed `any`
// in the dashboard model) are checked against each panel plugin's Options and FieldConfig.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

type Schema = Record<string, unknown>;

/** SDK modules whose types dashboards use: the model, shared types and the panel plugins. */
export const PANEL_MODULES = ['timeseries', 'stat', 'gauge', 'table', 'barchart', 'bargauge'] as const;
const MODULES = ['dashboard', 'common', ...PANEL_MODULES];

export interface SdkSchemas {
  /** JSON Schema (draft-07) with every declaration under `definitions`, named `<module>.<Type>`. */
  definitions: Record<string, Schema>;
  ref(module: string, type: string): Schema;
}

export function loadSdkSchemas(): SdkSchemas {
  const require = createRequire(import.meta.url);
  const root = dirname(dirname(require.resolve('@grafana/grafana-foundation-sdk/dashboard')));
  const definitions: Record<string, Schema> = {};
  const members = new Map<string, string | number>();
  const converters = MODULES.map((module) => {
    const file = join(root, module, 'types.gen.d.ts');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    return new ModuleConverter(module, source, definitions, members);
  });
  // Enums first, everywhere: interfaces refer to other modules' enum members (common.X.Member).
  for (const converter of converters) converter.convertEnums();
  for (const converter of converters) converter.convertTypes();
  return { definitions, ref: (module, type) => ({ $ref: `#/definitions/${module}.${type}` }) };
}

class ModuleConverter {
  constructor(
    private readonly module: string,
    private readonly source: ts.SourceFile,
    private readonly definitions: Record<string, Schema>,
    /** Enum member values of every module: "<module>.<Enum>.<Member>" → value. */
    private readonly members: Map<string, string | number>,
  ) {}

  convertEnums(): void {
    for (const statement of this.source.statements) {
      if (ts.isEnumDeclaration(statement)) this.convertEnum(statement);
    }
  }

  convertTypes(): void {
    for (const statement of this.source.statements) {
      const name = this.key(statementName(statement));
      if (ts.isInterfaceDeclaration(statement)) this.definitions[name] = this.object(statement.members);
      else if (ts.isTypeAliasDeclaration(statement)) this.definitions[name] = this.type(statement.type);
    }
  }

  private key(name: string | undefined): string {
    return `${this.module}.${name}`;
  }

  private convertEnum(node: ts.EnumDeclaration): void {
    const values: (string | number)[] = [];
    for (const member of node.members) {
      const init = member.initializer;
      let value: string | number;
      if (init && ts.isStringLiteral(init)) value = init.text;
      else if (init && ts.isNumericLiteral(init)) value = Number(init.text);
      else if (init && ts.isPrefixUnaryExpression(init) && ts.isNumericLiteral(init.operand)) {
        value = -Number(init.operand.text);
      } else throw new Error(`${this.module}.${node.name.text}: unsupported enum initializer`);
      values.push(value);
      this.members.set(`${this.module}.${node.name.text}.${member.name.getText(this.source)}`, value);
    }
    // Enums may alias a value under two names (common.ScaleDirection): JSON Schema wants it once.
    this.definitions[this.key(node.name.text)] = { enum: [...new Set(values)] };
  }

  private object(members: ts.NodeArray<ts.TypeElement>): Schema {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const member of members) {
      // Marker methods (_implementsDataqueryVariant) are not part of the JSON model.
      if (!ts.isPropertySignature(member) || !member.type) continue;
      const name = member.name.getText(this.source).replace(/^["']|["']$/g, '');
      properties[name] = this.type(member.type);
      if (!member.questionToken) required.push(name);
    }
    return { type: 'object', properties, required, additionalProperties: false };
  }

  private type(node: ts.TypeNode): Schema {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return { type: 'number' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.NullKeyword:
        return { type: 'null' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return {};
    }
    if (ts.isLiteralTypeNode(node)) {
      const literal = node.literal;
      if (literal.kind === ts.SyntaxKind.NullKeyword) return { type: 'null' };
      if (literal.kind === ts.SyntaxKind.TrueKeyword) return { const: true };
      if (literal.kind === ts.SyntaxKind.FalseKeyword) return { const: false };
      if (ts.isStringLiteral(literal)) return { const: literal.text };
      if (ts.isNumericLiteral(literal)) return { const: Number(literal.text) };
    }
    if (ts.isParenthesizedTypeNode(node)) return this.type(node.type);
    if (ts.isArrayTypeNode(node)) return { type: 'array', items: this.type(node.elementType) };
    if (ts.isUnionTypeNode(node)) return { anyOf: node.types.map((t) => this.type(t)) };
    if (ts.isTypeLiteralNode(node)) return this.object(node.members);
    if (ts.isTypeReferenceNode(node)) return this.reference(node);
    throw new Error(
      `${this.module}: unsupported type ${ts.SyntaxKind[node.kind]} (${node.getText(this.source)})`,
    );
  }

  private reference(node: ts.TypeReferenceNode): Schema {
    const name = node.typeName.getText(this.source);
    if (name === 'Record') {
      const value = node.typeArguments?.[1];
      return { type: 'object', additionalProperties: value ? this.type(value) : {} };
    }
    // A query is a variant each datasource defines; its shape is checked by the panel-SQL tests.
    if (name === 'cog.Dataquery') return { type: 'object', required: ['refId'] };
    const member = this.members.get(name) ?? this.members.get(`${this.module}.${name}`);
    if (member !== undefined) return { const: member };
    const qualified = name.includes('.') ? name : `${this.module}.${name}`;
    return { $ref: `#/definitions/${qualified}` };
  }
}

function statementName(statement: ts.Statement): string | undefined {
  if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement))
    return statement.name.text;
  return undefined;
}
