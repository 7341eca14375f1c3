/** The Kubernetes names kube-namespace holds, checked alike for every provider that writes kubeconfigs. */
import { InputError } from '../errors.js'
import { quoteValue } from '../text.js'

/**
 * A namespace name is an RFC 1123 label (k8s.io/apimachinery pkg/util/validation IsDNS1123Label:
 * lower-case letters, digits and '-', a letter or digit at each end, at most 63 characters).
 */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** kube-namespace as `count` namespace names joined by '/'; throws InputError naming it otherwise. */
export function namespaceNames(raw: string, count: number, shape: string): string[] {
  const names = raw.split('/')
  if (names.length !== count || !names.every((name) => NAMESPACE_NAME.test(name))) {
    throw new InputError(
      'kube-namespace',
      `${quoteValue(raw)} is not ${shape}: Kubernetes names of lower-case letters, digits and '-', at most 63 characters each.`,
    )
  }
  return names
}
