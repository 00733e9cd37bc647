"""Notebook 06's exercises: the Dirac-GAN's field, its eigenvalues, the simultaneous step's growth, which methods
converge, and why a simultaneous loop can train a GAN anyway.

The running example is notebook 06's Dirac-GAN (Mescheder, Geiger & Nowozin, 2018), in the paper's sign
convention: the data are the point 0, the generator the point θ, the discriminator's output ``D_ψ(x) = ψx`` is
high on **fakes** (the series' logit is ``d = −D_ψ``; replacing ψ by −ψ changes no eigenvalue). The objective is
``V(θ, ψ) = f(ψθ) + f(0)`` with ``f(t) = −log(1 + e^(−t)) = log σ(t)``, so ``f′(t) = 1/(1 + e^t)`` and
``f′(0) = ½``; the discriminator ascends V, the generator descends it, along the field
``v(θ, ψ) = (−∂V/∂θ, +∂V/∂ψ) = (−ψ f′(ψθ), θ f′(ψθ))``. ``J`` is the field's Jacobian at the equilibrium
(0, 0), λ = −α ± iω its eigenvalues, η the step size and ρ the spectral radius of one step's Jacobian.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register
from helpers.maths import dirac_gan

#: the R1 strength of exercise 06.2
GAMMA_06_2 = 0.6
#: the step size of exercise 06.3
ETA_06_3 = 0.4


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


# --------------------------------------------------------------------------- 06.1: the gradient vector field


def solution_06_1(theta, psi):
    """The Dirac-GAN's field v(θ, ψ) = (−ψ f′(ψθ), θ f′(ψθ)) with f′(t) = 1/(1 + e^t), stacked on a first axis."""
    theta, psi = np.asarray(theta, dtype=float), np.asarray(psi, dtype=float)
    df = 1.0 / (1.0 + np.exp(psi * theta))      # f'(psi * theta)
    return np.array([-psi * df, theta * df])


def _cases_06_1(seed: int = 6):
    """(θ, ψ) arrays of two shapes, spread over [−3, 3]² so that ψθ takes both signs and large values."""
    rng = np.random.default_rng(seed)
    for shape in ((6,), (3, 4)):
        yield rng.uniform(-3, 3, shape), rng.uniform(-3, 3, shape)


def _check_06_1(field):
    for theta, psi in _cases_06_1():
        got = np.asarray(field(theta.copy(), psi.copy()), dtype=float)
        want = solution_06_1(theta, psi)
        if got.shape != want.shape:
            if got.shape == (*want.shape[1:], 2):
                raise Wrong(f"for θ and ψ of shape {theta.shape} the field has shape {want.shape}, the two components "
                            f"(v_θ, v_ψ) stacked on the FIRST axis (np.array([v_theta, v_psi])); yours stacks them on "
                            f"the last axis, shape {got.shape}", "wrong shape")
            raise Wrong(f"for θ and ψ of shape {theta.shape} the field has shape {want.shape} "
                        f"(np.array([v_theta, v_psi])); yours has shape {got.shape}")
        if np.allclose(got, want):
            continue
        vt, vp = want
        t = psi * theta
        if np.allclose(got, [-vt, vp]):
            raise Wrong("the generator's component has the wrong sign: you wrote +∂V/∂θ = ψ f′(ψθ), so the generator "
                        "ascends V; it descends V, so v_θ = −∂V/∂θ = −ψ f′(ψθ)", "generator ascends")
        if np.allclose(got, [vt, -vp]):
            raise Wrong("the discriminator's component has the wrong sign: you wrote −∂V/∂ψ, so the discriminator "
                        "descends V; it ascends V (it wants ψθ large), so v_ψ = +∂V/∂ψ = θ f′(ψθ)",
                        "discriminator descends")
        if np.allclose(got, [-vt, -vp]):
            raise Wrong("both signs are flipped: this is −v, the generator ascending and the discriminator descending "
                        "V; the field is (−∂V/∂θ, +∂V/∂ψ)", "both signs flipped")
        if np.allclose(got, [-psi * _sigmoid(t), theta * _sigmoid(t)]):
            raise Wrong("f′ is evaluated at the wrong argument: f′(t) = 1/(1 + e^t) = σ(−t), and you used σ(ψθ) = "
                        "f′(−ψθ); with f(t) = log σ(t), f′(t) = 1 − σ(t), which fades (saturates) for large ψθ",
                        "σ instead of f′")
        if np.allclose(got, [-psi * _sigmoid(t), vp]):
            raise Wrong("your generator component −ψ f′(−ψθ) is the NON-saturating generator's (section 5: it ascends "
                        "f(−ψθ)); here the generator descends V itself, the saturating game, so v_θ = −ψ f′(ψθ)",
                        "non-saturating")
        if np.allclose(got, [-psi / 2, theta / 2]):
            raise Wrong("you replaced f′(ψθ) by f′(0) = ½: that is the linearised field near (0, 0), the bilinear game "
                        "with a = ½ of section 2; away from the equilibrium f′(ψθ) varies (it saturates for ψθ ≫ 0)",
                        "f′(0) everywhere")
        if np.allclose(got, [-psi, theta]):
            raise Wrong("the chain rule's factor f′(ψθ) is missing: (−ψ, θ) is the field of f(t) = t (the WGAN's), "
                        "not of f(t) = log σ(t); ∂V/∂θ = ψ f′(ψθ)", "forgot f′")
        if np.allclose(got, [vp, vt]):
            raise Wrong("the components are in the wrong order or on the wrong player: the first is the generator's, "
                        "v_θ = −ψ f′(ψθ) (θ moves in proportion to the discriminator's slope ψ), the second the "
                        "discriminator's, v_ψ = θ f′(ψθ)", "components swapped")
        bad = np.unravel_index(np.argmax(np.max(np.abs(got - want), axis=0)), theta.shape)
        raise Wrong(f"at (θ, ψ) = ({theta[bad]:.3f}, {psi[bad]:.3f}) the field is "
                    f"({want[0][bad]:.4f}, {want[1][bad]:.4f}), yours gives ({got[0][bad]:.4f}, {got[1][bad]:.4f}); "
                    "differentiate V(θ, ψ) = f(ψθ) + f(0) by the chain rule, then take −∂V/∂θ and +∂V/∂ψ")
    return "(−ψ f′(ψθ), θ f′(ψθ)) at 18 points in [−3, 3]², arrays of two shapes"


register(Exercise(
    id="06.1", kind="function", checker=_check_06_1, solution=solution_06_1,
    hints=(("Differentiate V(θ, ψ) = f(ψθ) + f(0) with the chain rule, once in θ and once in ψ. Which player "
           "descends V and which ascends it?"),
           ("∂V/∂θ = ψ f′(ψθ) and ∂V/∂ψ = θ f′(ψθ) with f′(t) = 1/(1 + np.exp(t)); the generator descends, the "
           "discriminator ascends: return np.array([-psi * f′(ψθ), theta * f′(ψθ)]).")),
    mistakes={"generator ascends": lambda th, ps: np.array([ps / (1 + np.exp(ps * th)), th / (1 + np.exp(ps * th))]),
              "discriminator descends": lambda th, ps: np.array([-ps / (1 + np.exp(ps * th)),
                                                                 -th / (1 + np.exp(ps * th))]),
              "both signs flipped": lambda th, ps: np.array([ps / (1 + np.exp(ps * th)), -th / (1 + np.exp(ps * th))]),
              "σ instead of f′": lambda th, ps: np.array([-ps / (1 + np.exp(-ps * th)), th / (1 + np.exp(-ps * th))]),
              "non-saturating": lambda th, ps: np.array([-ps / (1 + np.exp(-ps * th)), th / (1 + np.exp(ps * th))]),
              "f′(0) everywhere": lambda th, ps: np.array([-ps / 2, th / 2]),
              "forgot f′": lambda th, ps: np.array([-ps, th]),
              "components swapped": lambda th, ps: np.array([th / (1 + np.exp(ps * th)), -ps / (1 + np.exp(ps * th))]),
              "wrong shape": lambda th, ps: np.stack([-ps / (1 + np.exp(ps * th)), th / (1 + np.exp(ps * th))], -1)},
))


# --------------------------------------------------------------------------- 06.2: the eigenvalues with R1


def _omega_06_2() -> float:
    return float(np.max(np.linalg.eigvals(dirac_gan.equilibrium_jacobian("r1", gamma=GAMMA_06_2)).imag))


def _number(answer) -> float:
    try:
        return float(answer)
    except (TypeError, ValueError):
        raise Wrong(f"answer a number, got {answer!r}") from None


def _check_06_2(answer):
    answer = _number(answer)
    omega = _omega_06_2()  # 0.4
    a, gamma = float(dirac_gan.f_prime(0.0)), GAMMA_06_2
    if close(answer, omega, rel=1e-4):
        return (f"ω = √(f′(0)² − γ²/4) = √(0.25 − 0.09) = {omega:g}: the eigenvalues are −0.3 ± 0.4i, moved off the "
                "imaginary axis into the left half-plane")
    if close(answer, -omega, rel=1e-4):
        raise Wrong("the eigenvalues come as a conjugate pair −α ± iω: give ω, the positive imaginary part")
    if close(answer, a, rel=1e-4):
        raise Wrong("0.5 = f′(0) is ω WITHOUT the penalty (the eigenvalues ±i/2 of section 3), and it is also |λ|, "
                    "since det J = f′(0)² whatever γ is; the penalty moves part of |λ| into the real part, "
                    "so ω² = f′(0)² − α²", "f′(0)")
    if close(abs(answer), gamma / 2, rel=1e-4):
        raise Wrong("0.3 = γ/2 is α, the size of the REAL part −γ/2 (the damping), not the imaginary part ω",
                    "real part")
    if close(answer, np.sqrt(4 * a**2 - gamma**2), rel=1e-4):
        raise Wrong("a factor 2 too many: the roots of λ² + γλ + f′(0)² = 0 are (−γ ± √(γ² − 4f′(0)²))/2; the ½ "
                    "applies to the square root too, so ω = √(4f′(0)² − γ²)/2", "forgot ½")
    if close(answer, omega**2, rel=1e-4):
        raise Wrong(f"{omega**2:g} is ω² = f′(0)² − γ²/4; the imaginary part is its square root", "ω²")
    raise Wrong(f"{answer!r} is not ω. Write J with the R1 term (section 5's table) and solve "
                "det(J − λI) = λ² + γλ + f′(0)² = 0 for λ = −α ± iω")


register(Exercise(
    id="06.2", kind="number", checker=_check_06_2, solution=0.4,
    worked="With R1, J = [[0, −f′(0)], [f′(0), −γ]]: trace −γ, determinant f′(0)² = ¼, so λ² + γλ + ¼ = 0 and "
           "λ = −γ/2 ± i√(¼ − γ²/4) = −0.3 ± i√(0.25 − 0.09) = −0.3 ± 0.4i.",
    hints=(("Section 5's table gives J for R1: the unregularised J plus −γ in the lower-right corner. Its eigenvalues "
           "solve λ² − (trace J)λ + det J = 0."),
           "trace J = −γ = −0.6 and det J = f′(0)² = 0.25: λ = −0.3 ± i√(0.25 − 0.3²)."),
    mistakes={"f′(0)": 0.5, "real part": 0.3, "forgot ½": 0.8, "ω²": 0.16},
))


# --------------------------------------------------------------------------- 06.3: the simultaneous step's growth


def _check_06_3(answer):
    answer = _number(answer)
    eta = ETA_06_3
    rho = dirac_gan.spectral_radius("gan", eta, "simultaneous")  # √(1 + η²/4) = √1.04
    a = float(dirac_gan.f_prime(0.0))
    if close(answer, rho, rel=1e-4):
        return (f"ρ = |1 ± iη f′(0)| = √(1 + η² f′(0)²) = √1.04 = {rho:.6f}: the distance grows by about 2 % per step, "
                "a spiral outwards")
    if close(answer, 1.0, rel=1e-4):
        raise Wrong("1 is the ALTERNATING steps' ρ (their update's determinant is 1); simultaneous steps move both "
                    "players from the same point, and I + ηJ has eigenvalues 1 ± iη/2, of modulus above 1",
                    "alternating")
    if close(answer, np.sqrt(1 + eta**2), rel=1e-4):
        raise Wrong("√(1 + η²) is the growth on 02's game x·y, whose coupling is 1; the Dirac-GAN's coupling is "
                    "f′(0) = ½, so the eigenvalues of J are ±i/2", "forgot f′(0)")
    if close(answer, 1 + eta**2 * a**2, rel=1e-4):
        raise Wrong("1 + η²f′(0)² = 1.04 is ρ², the factor on the SQUARED distance ‖z‖²; the distance itself grows by "
                    "its square root", "no square root")
    if close(answer, 1 + eta * a, rel=1e-4):
        raise Wrong("1 + ηf′(0) adds the eigenvalue's size as if it were real; it is imaginary, so the modulus is "
                    "|1 + iηf′(0)| = √(1 + η²f′(0)²): the growth is second order in η", "first order")
    raise Wrong(f"{answer!r} is not the growth factor. One simultaneous step near (0, 0) is z ↦ (I + ηJ)z; "
                "find the eigenvalues 1 + ηλ of I + ηJ (λ = ±i f′(0)) and take their modulus")


register(Exercise(
    id="06.3", kind="number", checker=_check_06_3, solution=round(float(np.sqrt(1.04)), 6),
    worked="Near (0, 0) one simultaneous step is z ↦ (I + ηJ)z with J = [[0, −½], [½, 0]]; the eigenvalues of "
           "I + ηJ are 1 ± iη/2 = 1 ± 0.2i, so ρ = √(1 + 0.2²) = √1.04 ≈ 1.019804.",
    hints=(("Near the equilibrium one simultaneous step is the linear map z ↦ (I + ηJ)z. Along an eigenvector of J "
            "with eigenvalue λ it multiplies by 1 + ηλ."),
           "λ = ±i f′(0) = ±i/2, so 1 + ηλ = 1 ± 0.2i: the factor is its modulus, √(1 + 0.2²)."),
    mistakes={"alternating": 1.0, "forgot f′(0)": float(np.sqrt(1.16)), "no square root": 1.04, "first order": 1.2},
))


# --------------------------------------------------------------------------- 06.4: which methods converge?


CONVERGE_06_4 = ("instance-noise", "r1", "r2")
_WHY_NOT = {
    "gan": "the saturating GAN's J has eigenvalues ±i/2: no damping, it circles (alternating) or spirals out "
           "(simultaneous)",
    "nsgan": "the non-saturating GAN has the saturating GAN's Jacobian (eigenvalues ±i/2, no damping); only its "
             "nonlinear terms drag it in, like 1/√t: after 2000 steps it is still about 0.2 away, not within 10⁻³",
    "wgan": "the WGAN's J = [[0, −1], [1, 0]] has eigenvalues ±i: no damping; the clipping only keeps the critic at "
            "|ψ| ≤ 1, and the generator keeps swinging across the data",
    "wgan-gp": "WGAN-GP's penalty pushes |ψ| towards 1, not towards the flat critic ψ = 0 the equilibrium needs (it "
               "is not zero-centred, and not even differentiable at ψ = 0), so the generator never settles",
}
_WHY = {
    "instance-noise": "instance noise adds 2σ²f″(0) = −½ (σ = 1) to the lower-right corner of J: eigenvalues with a "
                      "negative real part, so it spirals in",
    "r1": "R1 adds −γ to the lower-right corner of J: damping, eigenvalues in the left half-plane",
    "r2": "R2 penalises ∇ₓD on the fakes; for the linear D_ψ(x) = ψx, ∇ₓD = ψ everywhere, so R2 = R1 here and "
          "converges with it",
}


def _names_06_4(answer) -> set[str]:
    if isinstance(answer, str):
        answer = answer.replace(";", ",").split(",")
    try:
        items = list(answer)
    except TypeError:
        raise Wrong(f"answer a set of method names, e.g. {{\"r1\", \"gan\"}}, got {type(answer).__name__}") from None
    names = set()
    for item in items:
        name = str(item).strip().strip("\"'").lower().replace(" ", "-").replace("_", "-")
        name = {"wgan gp": "wgan-gp", "non saturating": "nsgan", "saturating": "gan"}.get(name.replace("-", " "), name)
        if name:
            names.add(name)
    unknown = sorted(names - set(dirac_gan.METHODS))
    if unknown:
        raise Wrong(f"unknown method name(s) {unknown}; use the names of dirac_gan.METHODS: "
                    f"{', '.join(dirac_gan.METHODS)}")
    return names


def _check_06_4(answer):
    names = _names_06_4(answer)
    want = set(CONVERGE_06_4)
    extra, missing = sorted(names - want, key=dirac_gan.METHODS.index), sorted(want - names,
                                                                              key=dirac_gan.METHODS.index)
    if not extra and not missing:
        return ("instance noise, R1 and R2 converge (the three whose J has eigenvalues with a negative real part); "
                "the plain GANs, WGAN and WGAN-GP do not")
    if not names:
        raise Wrong("three of the seven converge: look for the methods that put a negative number in the lower-right "
                    "corner of J (section 5's table)", "none")
    single = {("nsgan",): "non-saturating", ("wgan",): "WGAN", ("wgan-gp",): "WGAN-GP"}
    if not missing and tuple(extra) in single:
        raise Wrong(f"{extra[0]} does not converge: {_WHY_NOT[extra[0]]}", single[tuple(extra)])
    if not extra and missing == ["r2"]:
        raise Wrong(f"r2 converges too: {_WHY['r2']}", "forgot R2")
    if not extra and missing == ["instance-noise"]:
        raise Wrong(f"instance-noise converges too: {_WHY['instance-noise']}", "forgot instance noise")
    said = [f"{m} does not converge: {_WHY_NOT[m]}" for m in extra] + [f"{m} converges: {_WHY[m]}" for m in missing]
    raise Wrong("; ".join(said))


register(Exercise(
    id="06.4", kind="choice", checker=_check_06_4, solution=CONVERGE_06_4,
    worked="A method converges locally when the eigenvalues of its J at (0, 0) have negative real parts (and the step "
           "is small enough): instance noise (2σ²f″(0) = −½) and R1/R2 (−γ) put a negative number in J's lower-right "
           "corner; the two plain GANs and WGAN keep purely imaginary eigenvalues, and WGAN-GP's penalty pushes "
           "|ψ| to 1 instead of 0. Section 6's table: 'converges' is yes for exactly these three, in both modes.",
    hints=(("Look at the last column of section 5's table: which methods change the lower-right corner of J, and in "
           "which direction?"),
           ("A negative number in the lower-right corner (damping of the discriminator) moves the eigenvalues into "
           "the left half-plane. Three methods do that; the non-saturating GAN only creeps in, far slower.")),
    mistakes={"non-saturating": ("instance-noise", "r1", "r2", "nsgan"), "WGAN": ("wgan", "instance-noise", "r1", "r2"),
              "WGAN-GP": ("wgan-gp", "instance-noise", "r1", "r2"), "forgot R2": ("instance-noise", "r1"),
              "forgot instance noise": ("r1", "r2"), "none": ()},
))


# --------------------------------------------------------------------------- 06.5: why simultaneous steps train


register(Exercise(
    id="06.5", kind="explain", checker=None,
    solution="Near an equilibrium one simultaneous step multiplies the distance along an eigenvector of J by "
             "|1 + ηλ|, and |1 + ηλ|² = 1 + 2η Re λ + η²|λ|². In the Dirac-GAN the eigenvalues are purely imaginary "
             "(±i f′(0)), so only the η² term is left: the iterates spiral out, but the excess is second order in η, "
             "about e^(η²ω²T/2) after T steps, and a small step barely drifts. Any eigenvalue with a negative real "
             "part −α contracts at first order, −2ηα, which beats the η² term as soon as the step is small enough, "
             "η < 2α/|λ|² (for R1 with γ ≤ 1, η < 4γ). That real part comes from curvature on the discriminator's "
             "side: V_ψψ < 0 from a penalty such as R1, from instance noise, or simply from data that are spread out, "
             "which make the logistic loss strictly concave in the discriminator's weights; the Dirac-GAN's point "
             "data have none. An MNIST GAN's data are spread out, so a small simultaneous step need not spiral out. "
             "This explains, it does not prove: 05 uses Adam, and a network GAN's Jacobian is not known.",
    hints=(("Write the growth factor |1 + ηλ| per step and expand |1 + ηλ|² in η: which power of η carries the real "
           "part of λ, and which the imaginary part?"),
           ("Purely imaginary λ: growth of order η² (slow for small η). Negative real part −α: shrinking of order η, "
           "which wins when η < 2α/|λ|². Section 8 says where a negative real part comes from on MNIST.")),
    key_points=(("the drift of purely imaginary eigenvalues is second order in η: |1 + iηω| = √(1 + η²ω²)",
                 ("second order", "second-order", "η²", "eta^2", "eta²", "eta**2", "squared", "quadratic")),
                ("a negative real part (damping) contracts at first order in η",
                 ("first order", "first-order", "negative real part", "real part", "damp", "left half")),
                (("the damping comes from curvature on the discriminator's side: spread-out data, a penalty such as "
                  "R1, instance noise"),
                 ("spread", "curvature", "concave", "r1", "penalty", "regulari", "instance noise")),
                ("it needs a small enough step: η < 2α/|λ|²",
                 ("small enough", "small step", "smaller step", "step is small", "2α", "2 alpha", "η <", "eta <"))),
))
