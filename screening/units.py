"""Unit conversions, all from CODATA values in scipy.constants; nothing else in the project hard-codes one."""

from scipy.constants import Avogadro, R, angstrom, electron_volt, giga, kilo

EV_TO_KJ_PER_MOL = electron_volt * Avogadro / kilo  # 96.485 kJ/mol per eV per formula unit
EV_PER_A3_TO_GPA = electron_volt / 1e-30 / giga  # 160.2 GPa per eV/A^3
CUBIC_ANGSTROM_TO_M3 = angstrom**3
GRAM_TO_KG = 1 / kilo
R_KJ_PER_MOL_K = R / kilo  # molar gas constant, 8.314e-3 kJ/(mol K)
