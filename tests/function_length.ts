/**
 * The 80-line limit on functions in product code, measured on TypeScript's own syntax tree
 * (npm:typescript, pinned in deno.json): every function declaration, method, constructor,
 * accessor, function expression and arrow function, from its first line to its last. A
 * function's lines include the functions nested in it, so a factory that returns an object of
 * methods is as long as all of them together.
 */
import ts from "typescript";

export const MAX_FUNCTION_LINES = 80;

export interface LongFunction {
  readonly path: string;
  /** 1-based line of the function's first token. */
  readonly line: number;
  readonly name: string;
  readonly lines: number;
}

type FunctionNode =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.ConstructorDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction;

function isFunction(node: ts.Node): node is FunctionNode {
  return ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) || ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node);
}

/** The name a reader would search for: its own, or the variable or property it is bound to. */
function functionName(node: FunctionNode, file: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (node.name !== undefined) return node.name.getText(file);
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent)) && parent.name !== undefined
  ) {
    return parent.name.getText(file);
  }
  return "(anonymous)";
}

/** Every function in `source` longer than `limit` lines, outermost first. */
export function longFunctions(
  path: string,
  source: string,
  limit: number = MAX_FUNCTION_LINES,
): LongFunction[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const out: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunction(node) && node.body !== undefined) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > limit) {
        out.push({ path, line: first + 1, name: functionName(node, file), lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}
