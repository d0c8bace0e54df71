/**
 * What the fleet views need of the knowledge base for one topic: its title, and its disposition for
 * a benchmark (entries can override it per benchmark). Behind an interface so the aggregation stays
 * pure and a test or an older knowledge base can stand in.
 */
import { entryByTopic, triageCheck } from '../knowledge/index.js';

export interface TopicInfo {
  title: string;
  disposition: string;
}

export interface TopicKnowledge {
  /** null when the knowledge base does not know the topic. */
  topic(topic: string, benchmark: string | null): TopicInfo | null;
}

/**
 * The shipped knowledge base. The per-benchmark disposition goes through triageCheck with one of
 * the entry's own ids, so benchmark groups and overrides resolve exactly as they do for a check.
 */
export function knowledgeBaseTopics(): TopicKnowledge {
  const cache = new Map<string, TopicInfo | null>();
  return {
    topic(topic: string, benchmark: string | null): TopicInfo | null {
      const key = `${topic}\u0000${benchmark ?? ''}`;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const entry = entryByTopic(topic);
      let info: TopicInfo | null = null;
      if (entry) {
        info = { title: entry.title, disposition: entry.disposition };
        if (benchmark) {
          for (const id of new Set(Object.values(entry.ids))) {
            const t = triageCheck({ id, benchmark, title: '' });
            if (t && t.topic === topic) {
              info = { title: entry.title, disposition: t.disposition };
              break;
            }
          }
        }
      }
      cache.set(key, info);
      return info;
    },
  };
}
