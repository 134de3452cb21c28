import { describe, expect, it } from 'vitest';
import { redact } from '../../server/logging/redaction.js';

describe('redaction of personal details', () => {
  it.each([
    ['My name is John Smith and my chest hurts', 'My name is [name] and my chest hurts'],
    ['my name is john and I have a headache', 'my name is [name] and I have a headache'],
    ["Hi, my name's Zoë O'Neil.", "Hi, my name's [name]."],
    ['Patient Jane Doe, 45, has chest pain.', 'Patient [name], 45, has chest pain.'],
    ['patient: Maria García presented with a rash', 'patient: [name] presented with a rash'],
    ['Mrs. Olsen asked about statins', 'Mrs. [name] asked about statins'],
    ['我叫张三，头痛三天了', '我叫[name]，头痛三天了'],
  ])('removes names after a cue: %s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['call me on +1 (555) 010-7788 tonight', 'call me on [phone] tonight'],
    ['my mobile is 07700 900123', 'my mobile is [phone]'],
    ['ring 555-010-7788', 'ring [phone]'],
    ['+44 20 7946 0958 is the ward', '[phone] is the ward'],
  ])('removes phone numbers: %s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['write to jane.doe+clinic@example.co.uk please', 'write to [email] please'],
    ['J.Smith@hospital.org', '[email]'],
  ])('removes e-mail addresses: %s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['DOB 04/07/1961, type 2 diabetes', 'DOB [date of birth], type 2 diabetes'],
    ['Date of birth: 1961-07-04.', 'Date of birth: [date of birth].'],
    ['she was born on 12 May 1950', 'she was born on [date of birth]'],
    ['born in 1975', 'born in [date of birth]'],
    ['seen on March 3, 2024 and 2024-03-10', 'seen on [date] and [date]'],
  ])('removes dates of birth and other dates: %s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['MRN 00123456 admitted', 'MRN [record number] admitted'],
    ['MRN: AB-123456', 'MRN: [record number]'],
    ['medical record number 778899', 'medical record number [record number]'],
    ['record #A12-3456', 'record #[record number]'],
    ['NHS number 943 476 5919', 'NHS number [record number]'],
    ['patient ID 55102', 'patient ID [record number]'],
    ['SSN 123-45-6789', 'SSN [record number]'],
    ['insurance number XJH-449-2210-77', 'insurance number [record number]'],
    ['policy XJH-449-2210-77', 'policy [id number]'],
  ])('removes record numbers: %s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('redacts everything in one question', () => {
    expect(redact('My name is John Smith, DOB 04/07/1961, MRN 00123456, call +1 (555) 010-7788 or jo@x.org')).toBe(
      'My name is [name], DOB [date of birth], MRN [record number], call [phone] or [email]',
    );
  });

  it.each([
    'I took 500 mg ibuprofen at 10:30 and my BP is 120/80.',
    'Is 1000 mg of paracetamol too much? My pulse is 110 bpm.',
    'What is the treatment for a patient with type 2 diabetes?',
    'HbA1c of 7.5% and eGFR 45 mL/min/1.73m2',
  ])('leaves clinical details alone: %s', (input) => {
    expect(redact(input)).toBe(input);
  });
});

describe('redaction of what the first version let through (issue 15)', () => {
  it.each([
    ["Hi, I'm Zebulon Fairweather and my toe hurts", "Hi, I'm [name] and my toe hurts"],
    ['This is Ottoline Quaverly, I get migraines', 'This is [name], I get migraines'],
    ['my son John has a fever', 'my son [name] has a fever'],
    ['I live at 1600 Quillfeather Lane, Springfield and my ankle hurts', 'I live at [address] and my ankle hurts'],
    ['Reach me at +49 30 9018 2231.', 'Reach me at [phone].'],
    ['My grandmother is 97 years old', 'My grandmother is [age over 89] years old'],
    ['login from 203.0.113.77 failed', 'login from [ip] failed'],
    ['see https://portal.example.org/patients/88231?token=ab12cd now', 'see [url] now'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});
