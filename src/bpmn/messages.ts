/**
 * What deploying says about a model, in Zeebe's words where Zeebe has them, so that messages users know from
 * Zeebe read the same here.
 */
export const messages = {
  unsupportedElement: (type: string) => `Elements of type '${type}' are not supported yet`,
  missingId: (type: string) => `Elements of type '${type}' must have an id`,
  noExecutableProcess: () => 'Must contain at least one executable process',
  noneStartEvent: (processId: string) => `Process '${processId}' must have exactly one none start event`,
  startEventWithIncoming: () => 'Start events must not have incoming sequence flows',
  endEventWithOutgoing: () => 'End events must not have outgoing sequence flows to other elements.',
  exactlyOneExtensionElement: (name: string) => `Must have exactly one 'zeebe:${name}' extension element`,
  duplicateExtensionElement: (name: string) =>
    `Must have exactly one 'zeebe:${name}' extension element when exists. ` +
    'Please check process definition XML and retain only one extension element.',
  missingAttribute: (name: string) => `Attribute '${name}' must be present and not empty`,
  missingFlowReference: (attribute: string) => `SequenceFlow is missing required attribute ${attribute}`,
  flowReferenceOutsideProcess: (attribute: string, id: string, processId: string) =>
    `SequenceFlow has ${attribute} '${id}' which is not an element of process '${processId}'`,
  conditionOutsideExclusiveGateway: () =>
    'Conditional sequence flows are only supported at exclusive or inclusive gateway',
  missingCondition: (gatewayId: string) =>
    `A sequence flow leaving the exclusive gateway '${gatewayId}' must have a condition unless it is the default flow`,
  defaultFlowNotOutgoing: () => 'Default flow must start at gateway',
  missingExpression: () => 'Expected expression but not found.',
  staticValueForExpression: (text: string) =>
    `Expected expression but found static value '${text}'. An expression must start with '=' (e.g. '=${text}').`,
  staticValueNotInteger: (text: string) => `Expected static value to be a valid integer, but found '${text}'.`,
  missingPath: () => 'Expected path expression but not found.',
  invalidPath: (text: string, pattern: string) =>
    `Expected path expression '${text}' but doesn't match the pattern '${pattern}'.`,
  reservedWordPath: (text: string, words: readonly string[]) =>
    `Expected path expression '${text}' but is one of the reserved words (${words.join(', ')}).`,
  reservedHeaderKey: (key: string, prefix: string) =>
    `Attribute 'key' contains '${key}', but header keys starting with '${prefix}' are reserved for internal use.`,
  duplicateHeaderKey: (key: string) => `Headers contain duplicate entries for key '${key}'`,
};
