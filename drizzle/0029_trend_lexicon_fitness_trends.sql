-- Fitness trends the first lexicon missed (the demo's #hyrox, #75hard and #zone2 scored 0).
-- Data, not code: ON CONFLICT keeps any edit already made to a term.
INSERT INTO fitness_lexicon (term, weight, match_mode, category) VALUES
  ('hyrox', 95, 'contains', 'workout'),
  ('75hard', 85, 'contains', 'motivation'),
  ('zone2', 90, 'contains', 'workout'),
  ('rucking', 85, 'contains', 'workout'),
  ('calisthenics', 90, 'contains', 'workout'),
  ('kettlebell', 90, 'contains', 'workout'),
  ('marathon', 80, 'contains', 'workout'),
  ('triathlon', 80, 'contains', 'workout'),
  ('barre', 75, 'exact', 'workout'),
  ('walkingpad', 70, 'contains', 'lifestyle'),
  ('stepcount', 70, 'contains', 'lifestyle'),
  ('progressiveoverload', 95, 'contains', 'education')
ON CONFLICT (term) DO NOTHING;
