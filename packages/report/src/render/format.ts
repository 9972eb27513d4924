import type { Block, Cell, Column } from '../pack.js';

/** Display of one table cell; numbers are rounded for display only (the JSON keeps them whole). */
export function formatCell(value: Cell, column: Pick<Column, 'format' | 'unit'>): string {
  if (value === null || value === undefined || value === '') return value === '' ? '' : 'n/a';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return column.format === 'status' ? value.replace(/_/g, ' ') : value;
  if (!Number.isFinite(value)) return 'n/a';
  const unit = column.unit ? ` ${column.unit}` : '';
  switch (column.format) {
    case 'int':
      return `${Math.round(value).toLocaleString('en')}${unit}`;
    case 'percent':
      return `${value.toFixed(1)} %`;
    case 'ratio':
      return value.toFixed(3);
    case 'p':
      return value < 0.0001 ? '< 0.0001' : value.toPrecision(3);
    default:
      return `${formatNumber(value)}${unit}`;
  }
}

export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1000) return v.toLocaleString('en', { maximumFractionDigits: 0 });
  if (a >= 100) return v.toFixed(1);
  if (a === 0) return '0';
  return String(Number(v.toPrecision(3)));
}

/** Whether a table column holds numbers (right-aligned). */
export function numericColumn(c: Column): boolean {
  return c.format !== 'text' && c.format !== 'status' && c.format !== 'date';
}

export type TableBlock = Extract<Block, { kind: 'table' }>;
