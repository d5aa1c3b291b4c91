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
  missingMessageRef: () => 'Must reference a message',
  missingMessageName: () => 'Must have a message name',
  missingSignalName: () => 'Must reference a signal with a name',
  missingLinkName: () => 'Link events must have a name',
  missingLinkCatch: (name: string) => `Can't find a catch link event with the name '${name}' in the same scope`,
  duplicateLinkCatch: (name: string) => `Multiple intermediate catch link events with the same name '${name}' are not allowed`,
  missingCorrelationKey: () => "Must have exactly one 'zeebe:subscription' extension element with a correlationKey",
  missingTimerDefinition: () => 'Must have exactly one of timeDate, timeDuration or timeCycle',
  invalidTimer: (kind: string, text: string, reason: string) => `Invalid timer ${kind} '${text}': ${reason}`,
  missingErrorCode: () => 'ErrorCode must be present and not empty',
  missingEscalationCode: () => 'EscalationCode must be present and not empty',
  escalationCatchCodeExpression: (code: string) =>
    `The escalationCode of an escalation catch event must be a static value, but found the expression '${code}'`,
  escalationBoundaryOnTask: () => 'Escalation boundary events must be attached to a subprocess or a call activity',
  duplicateEscalationCatch: (code: string) =>
    code === ''
      ? 'Multiple escalation catch events without an escalationCode (catch-all) are not supported on the same scope'
      : `Multiple escalation catch events with the same escalationCode '${code}' are not supported on the same scope`,
  compensationBoundaryWithoutHandler: () =>
    'Compensation boundary events must have exactly one association to a compensation handler (an activity with isForCompensation)',
  compensationBoundaryWithOutgoing: () => 'Compensation boundary events must not have outgoing sequence flows',
  compensationHandlerWithFlows: () => 'Compensation handlers must not have incoming or outgoing sequence flows',
  compensationHandlerWithoutBoundary: () => 'Compensation handlers must be associated with a compensation boundary event',
  compensationHandlerWithBoundary: () => 'Compensation handlers must not have boundary events',
  compensationActivityRefScope: (activityId: string) =>
    `The compensation activity '${activityId}' must be an activity with a compensation boundary event, or a subprocess, in the same scope as the throw event`,
  unsupportedEventDefinition: (type: string, elementType: string) =>
    `Event definition of type '${type}' is not supported on elements of type '${elementType}' yet`,
  multipleEventDefinitions: () => 'Event definitions must be one at most',
  boundaryWithoutAttachedTo: () => 'Must be attached to an activity',
  boundaryWithIncoming: () => 'Boundary events must not have incoming sequence flows',
  boundaryOnNonActivity: () => 'Boundary events must be attached to an activity (a task or a subprocess)',
  eventBasedGatewayTarget: (target: string) =>
    `Event-based gateway must not have an outgoing sequence flow to other elements than message, timer or signal intermediate catch events, but it points to '${target}'`,
  eventBasedGatewayTooFewFlows: () => 'Event-based gateway must have at least 2 outgoing sequence flows',
  eventBasedGatewayCondition: () => 'Event-based gateway must not have an outgoing sequence flow with a condition',
  missingScript: () => "Must have exactly one 'zeebe:script' or 'zeebe:taskDefinition' extension element",
  missingCalledElement: () => "Must have exactly one 'zeebe:calledElement' extension element with a processId",
  unknownBindingType: (bindingType: string) =>
    `Attribute 'bindingType' must be one of 'latest', 'deployment' or 'versionTag', but was '${bindingType}'`,
  missingVersionTag: () => "Attribute 'versionTag' must be present and not empty when 'bindingType' is 'versionTag'",
  missingInputCollection: () => "Must have a 'zeebe:loopCharacteristics' extension element with an inputCollection",
  missingResultVariable: () => "Attribute 'resultVariable' must be present and not empty",
  subProcessStartEvent: () => 'Must have exactly one none start event',
  eventSubProcessStartEvent: () => 'Event subprocesses must have exactly one start event with a message, timer, signal or error event definition',
  startEventDefinitionInSubProcess: () => 'Start events of an embedded subprocess must be none start events',
  duplicateMessageStart: (name: string) => `Multiple message start events with the same name '${name}' are not allowed`,
  noneStartEventCount: (processId: string) => `Process '${processId}' must have at most one none start event`,
  noStartEvent: (processId: string) => `Process '${processId}' must have at least one start event`,
};
