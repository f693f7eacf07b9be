import { describe, expect, it } from 'vitest';
import { renderChart, TemplateError, type Chart } from '../helpers/helm-template.js';

/** The chart renderer behaves as Go's text/template and Helm do on what the chart uses. */
function run(src: string, values: Record<string, unknown> = {}, helpers = ''): string {
  const templates = [
    { name: 'c/templates/_helpers.tpl', src: helpers },
    { name: 'c/templates/t.yaml', src: `out: |-\n  ${src.replace(/\n/g, '\n  ')}` },
  ];
  const chart: Chart = { name: 'c', version: '1.0.0', appVersion: '2.0.0', values: {}, templates };
  return renderChart(chart, { values })[0]!.out as string;
}

describe('the Helm template renderer used by the chart tests', () => {
  it('trims whitespace at {{- and -}} only', () => {
    expect(run('a  {{- "b" -}}  c {{ "d" }} e')).toBe('abc d e');
  });

  it('chains if / else if / else, and treats empty values as false', () => {
    const t = '{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}';
    expect(run(t, { a: 1 })).toBe('A');
    expect(run(t, { a: 0, b: 'x' })).toBe('B');
    expect(run(t, { a: '', b: [] })).toBe('C');
  });

  it('ranges over lists and over maps in key order, with variables and $', () => {
    expect(run('{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }}{{ $.Chart.Name }};{{ end }}', { l: ['x', 'y'] })).toBe('0=xc;1=yc;');
    expect(run('{{ range $k, $v := .Values.m }}{{ $k }}:{{ $v }} {{ end }}', { m: { b: 2, a: 1 } })).toBe('a:1 b:2 ');
  });

  it('pipes the previous result in as the last argument, and evaluates sub-expressions', () => {
    expect(run('{{ .Values.missing | default "d" | quote }} {{ add 1 (mul 2 3) }} {{ printf "%s-%d" "a" 7 }}', {})).toBe('"d" 7 a-7');
    expect(run('{{ ternary "y" "n" .Values.a }}{{ .Values.a | ternary 1 2 }} {{ div (add 6 3) 4 }}', { a: false })).toBe('n2 2');
  });

  it('defines and includes templates, indented', () => {
    // (The output sits in a block scalar indented by two, so nindent 4 is two more.)
    expect(run('top:{{ include "x" . | nindent 4 }}', {}, '{{- define "x" -}}\nk: v\nl: w\n{{- end -}}')).toBe('top:\n  k: v\n  l: w');
  });

  it('renders a missing key as empty but fails on a field of a missing value, an unknown function or a failed required', () => {
    expect(run('[{{ .Values.nope }}]')).toBe('[]');
    expect(() => run('{{ .Values.nope.deeper }}')).toThrow(TemplateError);
    expect(() => run('{{ nosuchfn 1 }}')).toThrow(/function "nosuchfn" not defined/);
    expect(() => run('{{ required "x is required" .Values.x }}')).toThrow(/x is required/);
  });
});
