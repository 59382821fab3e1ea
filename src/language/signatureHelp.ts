import type { monacoTypes } from '@grafana/ui';
import { builtinDoc, formatSignature, functionDoc, signaturesOf } from './docs';
import { scan } from '../lexer/scan';
import { situationAt } from './situation';

/** Signature help inside a call's parentheses. Pure; `signatureHelpProvider` adapts it to Monaco. */

export interface SignatureInfo {
  signatures: Array<{ label: string; params: string[]; doc: string }>;
  activeSignature: number;
  activeParameter: number;
}

export function signatureAt(text: string, offset: number): SignatureInfo | undefined {
  const situation = situationAt(text, offset, scan(text));
  const call = situation.call;
  if (!call || (situation.kind !== 'functionArgs' && situation.kind !== 'string')) {
    return undefined;
  }
  const forms = signaturesOf(call.name);
  if (forms.length === 0) {
    return undefined;
  }
  const doc = functionDoc(call.name)?.doc ?? builtinDoc(call.name)?.doc ?? '';
  const signatures = forms.map((s) => ({ ...formatSignature(call.name, s), doc }));
  let active = forms.findIndex((s) => s.variadic || s.params.length > call.argIndex);
  if (active < 0) {
    active = forms.length - 1;
  }
  const params = signatures[active].params.length;
  return {
    signatures,
    activeSignature: active,
    activeParameter: params === 0 ? 0 : Math.min(call.argIndex, params - 1),
  };
}

export function signatureHelpProvider(deps: {
  modelId: () => string | undefined;
}): monacoTypes.languages.SignatureHelpProvider {
  return {
    signatureHelpTriggerCharacters: ['(', ','],
    signatureHelpRetriggerCharacters: [','],
    provideSignatureHelp(model, position) {
      if (model.id !== deps.modelId()) {
        return undefined;
      }
      const info = signatureAt(model.getValue(), model.getOffsetAt(position));
      if (!info) {
        return undefined;
      }
      return {
        value: {
          signatures: info.signatures.map((s) => ({
            label: s.label,
            documentation: s.doc,
            parameters: s.params.map((label) => ({ label })),
          })),
          activeSignature: info.activeSignature,
          activeParameter: info.activeParameter,
        },
        dispose: () => {},
      };
    },
  };
}
