/**
 * What a template value becomes once CloudFormation deploys it, for the intrinsics and resource types the
 * tests meet: `Ref` of a resource returns what that type's "Return values" section documents (an
 * AWS::Events::EventBus its name; an AWS::Events::Rule its name on the default bus and `<bus name>|<rule name>`
 * on a custom bus, https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-rule.html),
 * a resource without a `Name` gets the physical name the test gives it, as CloudFormation would generate one;
 * `Fn::Join`, `Fn::Split` and `Fn::Select` are evaluated. Anything else throws, so a test never compares a
 * value it did not really resolve.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { resources } from './helpers.ts';

export function deployedValue(
  value: unknown,
  template: Template,
  generatedNames: Readonly<Record<string, string>>,
): unknown {
  const all = resources(template);
  const evaluate = (item: unknown): unknown => {
    if (typeof item === 'string' || typeof item === 'number') return item;
    if (Array.isArray(item)) return item.map(evaluate);
    if (typeof item !== 'object' || item === null) throw new Error(`cannot evaluate ${JSON.stringify(item)}`);
    if ('Ref' in item && typeof item.Ref === 'string') return refOf(item.Ref);
    if ('Fn::Join' in item && Array.isArray(item['Fn::Join'])) {
      const [separator, parts] = item['Fn::Join'];
      const list = evaluate(parts);
      if (typeof separator !== 'string' || !Array.isArray(list)) throw new Error('malformed Fn::Join');
      return list.map(String).join(separator);
    }
    if ('Fn::Split' in item && Array.isArray(item['Fn::Split'])) {
      const [separator, source] = item['Fn::Split'];
      const text = evaluate(source);
      if (typeof separator !== 'string' || typeof text !== 'string') throw new Error('malformed Fn::Split');
      return text.split(separator);
    }
    if ('Fn::Select' in item && Array.isArray(item['Fn::Select'])) {
      const [index, source] = item['Fn::Select'];
      const list = evaluate(source);
      if (!Array.isArray(list) || list[Number(index)] === undefined)
        throw new Error(`Fn::Select ${String(index)} out of ${JSON.stringify(list)}`);
      return list[Number(index)];
    }
    const keys = Object.keys(item);
    if (keys.some((key) => key === 'Ref' || key.startsWith('Fn::')))
      throw new Error(`cannot evaluate ${JSON.stringify(item)}`);
    // A plain object (an alarm dimension): each member evaluated.
    return Object.fromEntries(Object.entries(item).map(([key, member]) => [key, evaluate(member)]));
  };
  const nameOf = (logicalId: string): string => {
    const given = all[logicalId]?.Properties?.Name;
    if (typeof given === 'string') return given;
    const generated = generatedNames[logicalId];
    if (generated === undefined) throw new Error(`no physical name given for ${logicalId}`);
    return generated;
  };
  const refOf = (logicalId: string): unknown => {
    const resource = all[logicalId];
    if (resource === undefined) throw new Error(`Ref of ${logicalId}: not a resource of the template`);
    switch (resource.Type) {
      case 'AWS::Events::EventBus':
        return nameOf(logicalId);
      case 'AWS::Events::Rule': {
        const bus = resource.Properties?.EventBusName;
        const name = nameOf(logicalId);
        if (bus === undefined) return name;
        const busName = evaluate(bus);
        return busName === 'default' ? name : `${String(busName)}|${name}`;
      }
      default:
        throw new Error(`Ref of ${resource.Type} is not modelled`);
    }
  };
  return evaluate(value);
}
