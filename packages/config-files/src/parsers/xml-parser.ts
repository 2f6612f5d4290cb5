import type { Logger } from '@node/shared-kernel'
import {
  type Document,
  DOMImplementation,
  DOMParser,
  type Element,
  type Node,
  XMLSerializer,
} from '@xmldom/xmldom'
import type { ResolvedReplacement } from '../resolve-replacement.js'
import { MalformedConfigFileError } from './malformed-config-file-error.js'
import { refuseDeepNesting, xmlDepth } from './nesting-depth.js'

const ELEMENT_NODE = 1
const TEXT_NODE = 3
const CDATA_SECTION_NODE = 4

/** `[name='value']` sets the attribute `name` instead of the element's text. */
const ATTRIBUTE_VALUE = /^\[(\w+)='(.*)'\]$/
const XML_NAME = /^[A-Za-z_][\w.:-]*$/

/**
 * The `xml` parser (behaviour §7.2). `match` dots are a path from the document (`Root.A.B` is the
 * element `B` in `A` in the root `Root`; `*` matches any element). Without `*`, missing elements
 * below the root are created first. Every matched element gets the value as its text, or as an
 * attribute for `[name='value']`. A file without a root element gets an XML declaration and a
 * root named after the first replacement's first segment. Output is indented by 2 spaces.
 *
 * Differs from the reference on purpose: elements are created only when the path's first
 * segment names the actual root (the reference then creates stray elements that no path finds),
 * and elements holding only text keep that text exactly.
 */
export function rewriteXml(
  content: string,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
): string {
  const doc = parse(content)
  const before = render(doc)
  for (const replacement of replacements) {
    const parts = replacement.match.split('.')
    if (!parts.every((part) => part === '*' || XML_NAME.test(part))) {
      logger.warn('configuration match is not an XML element path', { match: replacement.match })
      continue
    }
    let root = doc.documentElement
    if (root === null) {
      if (parts[0] === '*') continue
      root = doc.createElement(parts[0] ?? '')
      doc.appendChild(root)
    }
    if (!parts.includes('*') && root.tagName === parts[0]) {
      let element = root
      for (const tag of parts.slice(1)) {
        let child = childElements(element).find((candidate) => candidate.tagName === tag)
        if (child === undefined) {
          child = doc.createElement(tag)
          element.appendChild(child)
        }
        element = child
      }
    }
    for (const element of find(doc, parts)) setValue(doc, element, replacement.value)
  }
  const after = render(doc)
  // Nothing changed: the file keeps its own indentation.
  return after === before && content.trim() !== '' ? content : after
}

function parse(content: string): Document {
  const text = content.replace(/^\uFEFF/, '')
  if (text.trim() === '') {
    const doc = new DOMImplementation().createDocument(null, '')
    doc.appendChild(doc.createProcessingInstruction('xml', 'version="1.0" encoding="utf-8"'))
    return doc
  }
  refuseDeepNesting(xmlDepth(text), 'XML')
  try {
    return new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message)
      },
    }).parseFromString(text, 'text/xml')
  } catch (err) {
    throw new MalformedConfigFileError(`invalid XML: ${(err as Error).message}`, { cause: err })
  }
}

function childElements(node: Node): Element[] {
  const children: Element[] = []
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) children.push(child as Element)
  }
  return children
}

/** The elements at `parts` below the document, `*` matching any name. */
function find(doc: Document, parts: readonly string[]): Element[] {
  let found: Node[] = [doc]
  for (const part of parts) {
    found = found.flatMap((node) =>
      childElements(node).filter((element) => part === '*' || element.tagName === part),
    )
  }
  return found as Element[]
}

function setValue(doc: Document, element: Element, value: string): void {
  const attribute = ATTRIBUTE_VALUE.exec(value)
  if (attribute !== null) {
    element.setAttribute(attribute[1] ?? '', attribute[2] ?? '')
    return
  }
  // The text directly after the opening tag is replaced; child elements stay.
  while (
    element.firstChild !== null &&
    (element.firstChild.nodeType === TEXT_NODE ||
      element.firstChild.nodeType === CDATA_SECTION_NODE)
  ) {
    element.removeChild(element.firstChild)
  }
  element.insertBefore(doc.createTextNode(value), element.firstChild)
}

/** The document indented by 2 spaces; blank-only text between tags is dropped. */
function render(doc: Document): string {
  const serializer = new XMLSerializer()
  const lines: string[] = []
  const visit = (node: Node, depth: number): void => {
    const indent = '  '.repeat(depth)
    if (node.nodeType !== ELEMENT_NODE) {
      const text = serializer.serializeToString(node)
      if (text.trim() !== '')
        lines.push(indent + (node.nodeType === TEXT_NODE ? text.trim() : text))
      return
    }
    const element = node as Element
    const children: Node[] = []
    for (let child = element.firstChild; child !== null; child = child.nextSibling) {
      children.push(child)
    }
    const startTag = `<${element.tagName}${attributesOf(element)}`
    if (children.length === 0) {
      lines.push(`${indent}${startTag}/>`)
      return
    }
    const textOnly = children.every(
      (child) => child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE,
    )
    if (textOnly) {
      const text = children.map((child) => serializer.serializeToString(child)).join('')
      lines.push(`${indent}${startTag}>${text}</${element.tagName}>`)
      return
    }
    lines.push(`${indent}${startTag}>`)
    for (const child of children) visit(child, depth + 1)
    lines.push(`${indent}</${element.tagName}>`)
  }
  for (let child = doc.firstChild; child !== null; child = child.nextSibling) visit(child, 0)
  return `${lines.join('\n')}\n`
}

function attributesOf(element: Element): string {
  let out = ''
  for (let index = 0; index < element.attributes.length; index++) {
    const attribute = element.attributes.item(index)
    if (attribute === null) continue
    out += ` ${attribute.name}="${escapeAttribute(attribute.value)}"`
  }
  return out
}

function escapeAttribute(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll('\t', '&#9;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;')
}
