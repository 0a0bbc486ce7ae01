import { describe, expect, it } from 'vitest';
import { canonicalImage, isLoopback, parseImage, sameImage } from '../../checks/images.js';

describe('image references as a learner means them', () => {
  it('takes localhost, 127.0.0.1 and [::1] on one port for one registry', () => {
    expect(sameImage('localhost:5000/dockercoins_rng:v0.1', '127.0.0.1:5000/dockercoins_rng:v0.1')).toBe(true);
    expect(sameImage('[::1]:5000/dockercoins_rng:v0.1', '127.0.0.1:5000/dockercoins_rng:v0.1')).toBe(true);
    expect(sameImage('127.0.0.2:5000/dockercoins_rng:v0.1', 'localhost:5000/dockercoins_rng:v0.1')).toBe(true);
  });

  it('tells apart another port, another registry, another tag and another name', () => {
    expect(sameImage('localhost:5001/dockercoins_rng:v0.1', '127.0.0.1:5000/dockercoins_rng:v0.1')).toBe(false);
    expect(sameImage('registry.example.com:5000/dockercoins_rng:v0.1', '127.0.0.1:5000/dockercoins_rng:v0.1')).toBe(false);
    expect(sameImage('127.0.0.1:5000/dockercoins_rng:v0.01', '127.0.0.1:5000/dockercoins_rng:v0.1')).toBe(false);
    expect(sameImage('127.0.0.1:5000/dockercoins_hasher:v0.1', '127.0.0.1:5000/dockercoins_rng:v0.1')).toBe(false);
  });

  it('makes a missing tag :latest and drops a pinned digest', () => {
    expect(canonicalImage('redis')).toBe('redis:latest');
    expect(canonicalImage('localhost:5000/busybox')).toBe('127.0.0.1:5000/busybox:latest');
    expect(canonicalImage(`localhost:5000/x:v1@sha256:${'a'.repeat(64)}`)).toBe('127.0.0.1:5000/x:v1');
    expect(parseImage('library/redis:7')).toEqual({ registry: undefined, path: 'library/redis', tag: '7' });
  });

  it('knows the loopback spellings', () => {
    expect(['localhost:5000', '127.0.0.1:5000', '[::1]:5000'].every(isLoopback)).toBe(true);
    expect(isLoopback('10.0.0.1:5000')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});
