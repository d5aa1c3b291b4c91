import { messages } from './messages.js';
import { extensionElementsOfType, type BpmnBaseElement, type ModdleElement } from './moddle-elements.js';
import { report, type TransformContext } from './transform-context.js';

/** Zeebe extension elements that only describe (Modeler's element templates write them); allowed everywhere. */
const DESCRIPTIVE_ZEEBE_EXTENSIONS = ['zeebe:Properties'];

/**
 * Reports Zeebe extension elements that Tributary does not implement yet on this element: ignoring them would
 * run the model differently than Zeebe does. Extension elements of other namespaces are other tools' business.
 */
export function checkZeebeExtensionElements(
  context: TransformContext,
  element: BpmnBaseElement,
  allowedTypes: readonly string[],
): void {
  for (const extension of element.extensionElements?.values ?? []) {
    const { $type } = extension;
    if ($type.startsWith('zeebe:') && !allowedTypes.includes($type) && !DESCRIPTIVE_ZEEBE_EXTENSIONS.includes($type)) {
      report(context, element.id, messages.unsupportedElement($type));
    }
  }
}

/**
 * The extension element of the given type when there is at most one; reports duplicates. `name` is the XML
 * element name Zeebe's messages use ('taskHeaders' for 'zeebe:TaskHeaders').
 */
export function optionalExtensionElement<T extends ModdleElement>(
  context: TransformContext,
  element: BpmnBaseElement,
  $type: string,
  name: string,
): T | undefined {
  const found = extensionElementsOfType<T>(element, $type);
  if (found.length > 1) {
    report(context, element.id, messages.duplicateExtensionElement(name));
  }
  return found[0];
}
