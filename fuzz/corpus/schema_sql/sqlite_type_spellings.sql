CREATE TABLE affinities (
  a unsigned   big int,
  b int2,
  c varying character ( 255 ),
  d NATIVE CHARACTER(70) NULL,
  e NVARCHAR(100),
  f clob,
  g double precision,
  h decimal(10, 5),
  i MediumInt,
  j INT UNSIGNED
);
