import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { columns, truncateColumns } from '../../runner/tui/columns.js';

describe('terminal columns', () => {
  it('count a Chinese character as two columns', () => {
    expect(columns('ch3  Chapter 3')).toBe(14);
    expect(columns('第 3 章')).toBe(7);
  });

  it('cut a line to the width with an ellipsis, never in the middle of a character', () => {
    const title = '› ch3  第 3 章：镜像仓库、覆盖网络、在 Swarm 上部署 DockerCoins、扩展与压测';
    for (const width of [20, 21, 40, 59, 60]) {
      const cut = truncateColumns(title, width);
      expect(stringWidth(cut), `${width}: ${cut}`).toBeLessThanOrEqual(width);
      expect(cut.endsWith('…')).toBe(true);
      expect(title.startsWith(cut.slice(0, -1))).toBe(true);
    }
    expect(truncateColumns('short', 60)).toBe('short');
  });

  it('cut a check\'s Chinese title to 60 columns where ink\'s own truncation leaves 61 (its ellipsis then wrapped to a row of its own)', async () => {
    const { default: cliTruncate } = await import('cli-truncate');
    const line = '✓ registry 使用这台机器需要的端点模式（虚拟 IP；没有 IPVS 时为 DNS 轮询）';
    expect(stringWidth(cliTruncate(line, 60))).toBe(61);
    expect(stringWidth(truncateColumns(line, 60))).toBeLessThanOrEqual(60);
  });
});
