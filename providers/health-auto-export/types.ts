// Health Auto Export's metric names → the HealthKit type identifiers an Apple Health export uses for
// the same data, so a pushed point and an exported one carry the same `payload.type`. Names not
// listed keep HAE's own name (`hae:<name>`); the HAE name is in every payload either way.
const QUANTITY: Record<string, string> = {
  heart_rate: 'HeartRate',
  resting_heart_rate: 'RestingHeartRate',
  walking_heart_rate_average: 'WalkingHeartRateAverage',
  heart_rate_variability: 'HeartRateVariabilitySDNN',
  step_count: 'StepCount',
  active_energy: 'ActiveEnergyBurned',
  basal_energy_burned: 'BasalEnergyBurned',
  walking_running_distance: 'DistanceWalkingRunning',
  cycling_distance: 'DistanceCycling',
  swimming_distance: 'DistanceSwimming',
  flights_climbed: 'FlightsClimbed',
  blood_oxygen_saturation: 'OxygenSaturation',
  respiratory_rate: 'RespiratoryRate',
  weight_body_mass: 'BodyMass',
  body_mass_index: 'BodyMassIndex',
  body_fat_percentage: 'BodyFatPercentage',
  lean_body_mass: 'LeanBodyMass',
  height: 'Height',
  vo2_max: 'VO2Max',
  apple_exercise_time: 'AppleExerciseTime',
  apple_stand_time: 'AppleStandTime',
  body_temperature: 'BodyTemperature',
  blood_glucose: 'BloodGlucose',
  dietary_water: 'DietaryWater',
  dietary_energy: 'DietaryEnergyConsumed',
  environmental_audio_exposure: 'EnvironmentalAudioExposure',
  headphone_audio_exposure: 'HeadphoneAudioExposure',
  walking_speed: 'WalkingSpeed',
  walking_step_length: 'WalkingStepLength',
  walking_asymmetry_percentage: 'WalkingAsymmetryPercentage',
  walking_double_support_percentage: 'WalkingDoubleSupportPercentage',
  time_in_daylight: 'TimeInDaylight',
};

const OTHER: Record<string, string> = {
  blood_pressure: 'HKCorrelationTypeIdentifierBloodPressure',
  sleep_analysis: 'HKCategoryTypeIdentifierSleepAnalysis',
  mindful_minutes: 'HKCategoryTypeIdentifierMindfulSession',
};

export function healthKitType(metricName: string): string {
  const quantity = QUANTITY[metricName];
  if (quantity) return `HKQuantityTypeIdentifier${quantity}`;
  return OTHER[metricName] ?? `hae:${metricName}`;
}

/** HAE's English sleep stage labels → the export's category values; other (localized) labels kept. */
const SLEEP_STAGES: Record<string, string> = {
  'In Bed': 'HKCategoryValueSleepAnalysisInBed',
  Asleep: 'HKCategoryValueSleepAnalysisAsleepUnspecified',
  Core: 'HKCategoryValueSleepAnalysisAsleepCore',
  Deep: 'HKCategoryValueSleepAnalysisAsleepDeep',
  REM: 'HKCategoryValueSleepAnalysisAsleepREM',
  Awake: 'HKCategoryValueSleepAnalysisAwake',
};

export const sleepStageValue = (label: string) => SLEEP_STAGES[label] ?? label;
