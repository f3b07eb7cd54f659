using AutoClassify.Dataset;

namespace AutoClassify.Tests.Evaluation;

public class GroupedFoldsTests
{
    // 12 groups of 4 items: groups 0-5 are class 0, groups 6-11 class 1; items of a group are interleaved with others.
    static (int[] Labels, int[] Groups) Items()
    {
        var groups = Enumerable.Range(0, 48).Select(i => (i * 7) % 12).ToArray();
        return (groups.Select(g => g < 6 ? 0 : 1).ToArray(), groups);
    }

    [Fact]
    public void Should_keep_every_group_in_one_fold_and_stratify_the_groups()
    {
        var (labels, groups) = Items();

        var folds = GroupedFolds.Assign(labels, groups, 3, seed: 5);

        Assert.All(Enumerable.Range(0, 12), g => Assert.Single(folds.Where((_, i) => groups[i] == g).Distinct()));
        // Two groups of each class per fold: 8 items of each class
        for (var f = 0; f < 3; f++)
        {
            Assert.Equal(8, Enumerable.Range(0, 48).Count(i => folds[i] == f && labels[i] == 0));
            Assert.Equal(8, Enumerable.Range(0, 48).Count(i => folds[i] == f && labels[i] == 1));
        }
        Assert.Equal(folds, GroupedFolds.Assign(labels, groups, 3, seed: 5));
    }

    [Fact]
    public void Should_hold_out_whole_groups_for_validation()
    {
        var (labels, groups) = Items();
        var train = Enumerable.Range(0, 48).Where(i => groups[i] != 0).ToArray();

        var (fit, validation) = GroupedFolds.Carve(labels, groups, train, 0.25, seed: 9);

        var fitGroups = fit.Select(i => groups[i]).ToHashSet();
        var validationGroups = validation.Select(i => groups[i]).ToHashSet();
        Assert.Empty(fitGroups.Intersect(validationGroups));
        Assert.Equal(train, fit.Concat(validation).Order());
        // 11 groups at 25%: about 3 held out, at least one of each class
        Assert.InRange(validationGroups.Count, 2, 4);
        Assert.Contains(validation, i => labels[i] == 0);
        Assert.Contains(validation, i => labels[i] == 1);
        Assert.DoesNotContain(0, validationGroups);
    }
}
